//! `import` of services the tool does not know by their images
//! (`tests/fixtures/import/kinds`): each becomes the kind its files say (a site's
//! upstream an `app`, a built process a `worker`, any other image a `service`), its
//! health check is kept as `health.exec` where the tool cannot verify a probe of its own,
//! its process settings are read (capabilities in Docker's spelling), the one-shot the
//! API waits for and that runs its image is the API's migration, and the spec it writes
//! validates and renders.

use std::path::Path;

use banatie_infra_core::audit::AuditInput;
use banatie_infra_core::spec::{Service, ServiceKind};

#[test]
fn unknown_images_import_as_app_worker_or_service() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("notes");
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/kinds");
    for f in ["compose.yaml", "Caddyfile"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let input = AuditInput {
        dir: Some(dir),
        base_images: [("api", "python:3.12-slim"), ("worker", "python:3.12-slim")]
            .iter()
            .map(|(s, i)| ((*s).to_owned(), i.parse().unwrap()))
            .collect(),
        ..Default::default()
    };
    let imported = banatie_infra_core::import::import(&input).unwrap();
    let spec = &imported.spec;
    let kind = |n: &str| spec.services[n].kind();
    assert_eq!(kind("api"), ServiceKind::App);
    assert_eq!(kind("worker"), ServiceKind::Worker);
    assert_eq!(kind("redis"), ServiceKind::Generic);
    assert_eq!(kind("search"), ServiceKind::Generic);
    assert_eq!(kind("sidecar"), ServiceKind::Generic);

    let exec = |n: &str| spec.services[n].health().exec.clone();
    let v = |a: &[&str]| Some(a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    // The tool cannot tell that python's probe is right: it is kept, not replaced.
    assert_eq!(
        exec("api"),
        v(&[
            "python",
            "-c",
            "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
        ])
    );
    assert_eq!(
        exec("worker"),
        v(&[
            "sh",
            "-c",
            "celery -A notes inspect ping -d celery@$HOSTNAME"
        ])
    );
    assert_eq!(exec("redis"), v(&["redis-cli", "ping"]));
    assert_eq!(
        exec("search"),
        v(&["curl", "-fsS", "http://127.0.0.1:7700/health"])
    );
    assert!(spec.services["sidecar"].health().none.is_some());
    let Service::App(api) = &spec.services["api"] else {
        unreachable!()
    };
    assert_eq!(
        api.image.as_ref().map(|i| i.as_str()),
        Some("notes-api:local")
    );
    assert_eq!(api.port.get(), 8000);

    let Service::Worker(w) = &spec.services["worker"] else {
        unreachable!()
    };
    assert_eq!(w.user.as_ref().map(|u| u.as_str()), Some("1000:1000"));
    assert!(w.read_only);
    assert_eq!(
        w.tmpfs.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        ["/tmp"]
    );
    let caps = |c: &[banatie_infra_core::spec::Capability]| {
        c.iter().map(|x| x.as_str().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(caps(&w.cap_drop), ["ALL"]);
    assert_eq!(caps(&w.cap_add), ["CHOWN"]);
    assert_eq!(
        w.command.as_deref().unwrap_or_default(),
        ["celery", "-A", "notes", "worker", "--loglevel", "info"]
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.to_string().contains("size=64m")),
        "the tmpfs options are said to be dropped"
    );

    // The one-shot that runs the API's image and that the API waits for is its migration.
    let Service::Job(m) = &spec.services["migrate"] else {
        unreachable!()
    };
    assert_eq!(
        m.task,
        banatie_infra_core::spec::JobTask::Migrate {
            app: "api".parse().unwrap(),
            argv: ["python", "manage.py", "migrate", "--noinput"]
                .map(String::from)
                .to_vec(),
        }
    );
    assert_eq!(m.image, None, "it runs the API's image");

    // The spec it writes validates and renders, with every check kept.
    let findings = banatie_infra_core::validate::validate(spec);
    assert!(
        !banatie_infra_core::diagnostic::has_errors(&findings),
        "{findings:#?}"
    );
    let bundle = banatie_infra_core::render::render(spec).unwrap();
    let compose = bundle.text("docker-compose.yml").unwrap();
    assert!(compose.contains("- redis-cli"), "{compose}");
    assert!(compose.contains("disable: true"), "{compose}");
    let migrate = &compose[compose.find("\n  migrate:\n").unwrap()..];
    assert!(
        migrate.starts_with("\n  migrate:\n    image: notes-api:local\n    build:"),
        "{migrate}"
    );
    assert!(compose.contains("- CHOWN"), "{compose}");
}
