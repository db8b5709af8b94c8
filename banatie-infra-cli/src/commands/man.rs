//! `banatie-infra man`: the man page (roff, `clap_mangen`) of the binary and of every
//! verb in one page, generated from the clap definition. The committed copy is
//! `banatie-infra-cli/man/banatie-infra.1` (`tests/man.rs` checks it is current;
//! `BANATIE_INFRA_BLESS=1` rewrites it).

use clap::CommandFactory;

use crate::failure::Failure;

/// The man page: the top-level page, then a COMMAND section per verb and per
/// subcommand of a verb (`backup db`, `secrets rotate`).
pub(crate) fn page() -> String {
    let cmd = crate::Cli::command();
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    // Writing into a Vec cannot fail.
    let _ = man.render(&mut buf);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name().to_owned();
        buf.extend_from_slice(section(sub, &name).as_bytes());
        for inner in sub
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let full = format!("{name} {}", inner.get_name());
            buf.extend_from_slice(section(inner, &full).as_bytes());
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The COMMAND section of verb `cmd`, called `name` (`secrets rotate`).
fn section(cmd: &clap::Command, name: &str) -> String {
    let mut section = Vec::new();
    let sub_man = clap_mangen::Man::new(cmd.clone().bin_name(format!("banatie-infra {name}")));
    let _ = sub_man.render_synopsis_section(&mut section);
    let _ = sub_man.render_description_section(&mut section);
    let _ = sub_man.render_options_section(&mut section);
    format!(
        ".SH \"COMMAND {}\"\n{}",
        name.to_uppercase(),
        String::from_utf8_lossy(&section)
            .lines()
            // The quote-string preamble each render repeats: once, at the top, is enough.
            .filter(|l| !l.starts_with(".ie \\n(.g") && !l.starts_with(".el .ds Aq"))
            .map(|l| format!("{}\n", l.replacen(".SH ", ".SS ", 1)))
            .collect::<String>()
    )
}

/// Prints the man page.
pub(crate) fn run() -> Result<(), Failure> {
    crate::printer::out(&page());
    Ok(())
}
