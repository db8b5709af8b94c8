//! Caddy directive injection through the CLI (issue 13): the hostile specs (a
//! header value `"}"` followed by directives, a header named `import`, CORS
//! `allow_headers: ["}"]`, a `cache_control` of `}`, a `{$VAR}` value) make `validate` and
//! `render` exit 1 with a coded error at the value's line, and `render` writes no
//! Caddyfile.

use std::path::Path;
use std::process::Command;

const BASE: &str = "stack: { name: p }\nnetworks: { proxy-network: { external: true } }\nservices:\n  web: { kind: app, image: \"example/web:1\", port: 3000, networks: [proxy-network] }\nsites:\n  - domains: [a.example.com]\n    service: web\n";

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().expect("exited"), text)
}

#[test]
fn hostile_caddyfile_values_are_coded_errors_and_nothing_is_written() {
    let cases = [
        (
            "    headers:\n      X-A: \"}\"\n      respond: \"pwned 200\"\n",
            "9:",
        ),
        ("    headers:\n      import: /etc/passwd\n", "9:"),
        ("    cors: { allow_headers: [\"}\"] }\n", "8:"),
        (
            "    cache:\n      - { path: /a/*, cache_control: \"}\" }\n",
            "9:",
        ),
        ("    headers:\n      X-Env: \"{$HOME}\"\n", "9:"),
        (
            "    headers:\n      X-Leak: \"{env.AWS_SECRET_ACCESS_KEY}\"\n",
            "9:",
        ),
    ];
    for (site, line) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("spec.yaml"), format!("{BASE}{site}")).unwrap();
        let (code, out) = run(dir.path(), &["validate", "spec.yaml"]);
        assert_eq!(code, 1, "{site}{out}");
        assert!(out.contains("error[BI102]"), "{site}{out}");
        assert!(out.contains(&format!("spec.yaml:{line}")), "{site}{out}");
        let (code, out) = run(dir.path(), &["render", "spec.yaml", "-o", "out"]);
        assert_eq!(code, 1, "{site}{out}");
        assert!(
            !dir.path().join("out/caddy/Caddyfile").exists(),
            "{site}: a Caddyfile was written"
        );
    }
}
