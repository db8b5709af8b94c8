//! The examples and the committed JSON Schema: both formats load to the same spec, the
//! schema is not stale, every example passes it and broken files fail it.

use std::path::{Path, PathBuf};

use banatie_infra_core::load::{load_path, Format};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| Format::from_path(p).is_some())
        .collect();
    v.sort();
    assert!(v.len() >= 3, "expected at least 3 examples, found {v:?}");
    v
}

#[test]
fn yaml_and_toml_examples_are_the_same_spec() {
    let yaml = load_path(&root().join("examples/banatie.yaml"))
        .unwrap()
        .spec;
    let toml = load_path(&root().join("examples/banatie.toml"))
        .unwrap()
        .spec;
    assert_eq!(yaml, toml);
}

#[test]
fn the_banatie_example_is_the_whole_seed() {
    use banatie_infra_core::spec::Service;
    let spec = load_path(&root().join("examples/banatie.yaml"))
        .unwrap()
        .spec;
    assert_eq!(spec.services.len(), 5);
    assert_eq!(spec.networks.len(), 2);
    assert_eq!(spec.sites.len(), 4);
    assert!(spec.stack.userns_remap.enabled);
    assert_eq!(spec.stack.userns_remap.base, 165_536);
    let kinds: Vec<&str> = spec.services.values().map(|s| s.kind().as_str()).collect();
    assert_eq!(kinds, ["app", "app", "postgres", "minio", "job"]);
    let Service::Minio(m) = &spec.services["banatie-minio"] else {
        panic!("minio")
    };
    assert_eq!(m.drives, 4);
    assert_eq!(m.lifecycle[0].prefix, "temp/");
    assert_eq!(m.lifecycle[0].expire_days, 7);
}

#[test]
fn examples_are_valid_and_render() {
    for p in examples() {
        let loaded = load_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let diags = banatie_infra_core::validate::validate(&loaded.spec);
        assert!(diags.is_empty(), "{}: {diags:#?}", p.display());
        banatie_infra_core::render::render(&loaded.spec).unwrap();
    }
}

#[test]
fn committed_schema_is_up_to_date() {
    let path = root().join("schema/banatie-infra.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = banatie_infra_core::schema::json_schema_text();
    if committed != generated {
        if std::env::var_os("BANATIE_INFRA_BLESS").is_some() {
            std::fs::write(&path, generated).unwrap();
            return;
        }
        panic!(
            "schema/banatie-infra.schema.json is stale: run `cargo run -p banatie-infra-cli -- schema > schema/banatie-infra.schema.json` (or set BANATIE_INFRA_BLESS=1)"
        );
    }
}

fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    match Format::from_path(path).unwrap() {
        Format::Yaml => serde_yaml::from_str(&text).unwrap(),
        Format::Toml => toml::from_str(&text).unwrap(),
        Format::Json => serde_json::from_str(&text).unwrap(),
    }
}

type Breakage = Box<dyn Fn(&mut serde_json::Value)>;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/banatie-infra.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

#[test]
fn every_example_passes_the_schema() {
    let v = validator();
    for p in examples() {
        let doc = as_json(&p);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", p.display());
    }
}

#[test]
fn the_schema_rejects_broken_specs() {
    let v = validator();
    let good = as_json(&root().join("examples/banatie.yaml"));
    let cases: Vec<(&str, Breakage)> = vec![
        (
            "unknown top-level key",
            Box::new(|d| {
                d["stacks"] = serde_json::json!({});
            }),
        ),
        (
            "misspelt service key",
            Box::new(|d| {
                d["services"]["banatie-api"]["prot"] = 3000.into();
            }),
        ),
        (
            "port out of range",
            Box::new(|d| {
                d["services"]["banatie-api"]["port"] = 70000.into();
            }),
        ),
        (
            "bad service name",
            Box::new(|d| {
                let s = d["services"]["banatie-api"].clone();
                d["services"]["Banatie API"] = s;
            }),
        ),
        (
            "unknown kind",
            Box::new(|d| {
                d["services"]["banatie-api"]["kind"] = "lambda".into();
            }),
        ),
        (
            "bad domain",
            Box::new(|d| {
                d["sites"][0]["domains"][0] = "not a domain".into();
            }),
        ),
        (
            "bad byte size",
            Box::new(|d| {
                d["sites"][3]["access_log"]["roll_size"] = "50 megs".into();
            }),
        ),
        (
            "bad condition",
            Box::new(|d| {
                d["services"]["banatie-api"]["depends_on"]["banatie-postgres"] = "ready".into();
            }),
        ),
        (
            "missing stack",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("stack");
            }),
        ),
    ];
    assert!(v.is_valid(&good));
    for (what, break_it) in cases {
        let mut doc = good.clone();
        break_it(&mut doc);
        assert!(!v.is_valid(&doc), "the schema accepted a spec with {what}");
    }
}

#[test]
fn yaml_examples_point_at_the_committed_schema() {
    for p in examples()
        .into_iter()
        .filter(|p| p.extension().unwrap() != "json")
    {
        let text = std::fs::read_to_string(&p).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first == "# yaml-language-server: $schema=../schema/banatie-infra.schema.json"
                || first == "#:schema ../schema/banatie-infra.schema.json",
            "{}: first line is {first:?}",
            p.display()
        );
    }
}
