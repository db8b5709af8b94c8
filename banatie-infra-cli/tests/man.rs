//! The committed man page (`banatie-infra-cli/man/banatie-infra.1`) is what `banatie-infra
//! man` generates from the clap definition, as the schema drift check does for the schema
//! (`BANATIE_INFRA_BLESS=1` rewrites it).

use std::path::Path;
use std::process::Command;

#[test]
fn the_committed_man_page_is_current() {
    let o = Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
        .arg("man")
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = String::from_utf8(o.stdout).expect("UTF-8");
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq") || page.contains(".TH banatie-infra"));
    for verb in ["VALIDATE", "RENDER", "RULES", "COMPLETIONS", "AUDIT"] {
        assert!(page.contains(&format!(".SH \"COMMAND {verb}\"")), "{verb}");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/banatie-infra.1");
    if std::env::var_os("BANATIE_INFRA_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "{} is stale: run `BANATIE_INFRA_BLESS=1 cargo test -p banatie-infra-cli --test man`",
        path.display()
    );
}
