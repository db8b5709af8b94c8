//! The spec argument every spec verb shares: a path, or `-` for standard input.
//!
//! Standard input is read with the same bound as a file (`--max-input-size`, BI151:
//! [`banatie_infra_core::input::read_bounded`]), as YAML unless `--spec-format` says
//! otherwise (a file's format comes from its extension). Its name in diagnostics is
//! `<stdin>`.

use std::path::{Path, PathBuf};

use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::load::{self, Format, Loaded};

use crate::failure::{input_failure, Failure};
use crate::printer::{print_diagnostics, OutputFormat};

/// The name of standard input in diagnostics.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// The format of a spec read from standard input.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum SpecFormat {
    /// YAML (also reads JSON).
    Yaml,
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

/// `SPEC [--spec-format FORMAT]`.
#[derive(clap::Args, Clone)]
pub(crate) struct SpecArg {
    /// The spec (.yaml, .yml, .toml or .json); `-` reads it from standard input.
    #[arg(value_name = "SPEC")]
    pub(crate) spec: PathBuf,
    /// The format of a spec read from standard input (`-`). Default: yaml.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) spec_format: Option<SpecFormat>,
}

/// A spec that was read but is not a valid spec: its diagnostic and the text to show it in.
pub(crate) struct Invalid {
    /// The diagnostic (BI1xx).
    pub(crate) diagnostic: Diagnostic,
    /// The spec's name (`<stdin>` or the path).
    pub(crate) name: String,
    /// Its text (empty when it cannot be read again).
    pub(crate) text: String,
}

impl SpecArg {
    /// Whether the spec is read from standard input.
    pub(crate) fn is_stdin(&self) -> bool {
        self.spec.as_os_str() == "-"
    }

    /// The spec's file, `None` for standard input: the paths an output root must not
    /// overwrite.
    pub(crate) fn path(&self) -> Option<&Path> {
        (!self.is_stdin()).then_some(self.spec.as_path())
    }

    /// The spec's name in messages: its path, or `<stdin>`.
    pub(crate) fn name(&self) -> String {
        if self.is_stdin() {
            STDIN_NAME.to_owned()
        } else {
            self.spec.display().to_string()
        }
    }

    /// Loads the spec. `Err(Ok(invalid))`: read but not a valid spec (a finding);
    /// `Err(Err(failure))`: not read at all (exit 2; a BI150/BI151 diagnostic is printed
    /// in `format`).
    pub(crate) fn try_load(
        &self,
        format: OutputFormat,
    ) -> Result<Loaded, Result<Box<Invalid>, Failure>> {
        if self.is_stdin() {
            return self.load_stdin(format);
        }
        if self.spec_format.is_some() {
            return Err(Err(Failure::Input(format!(
                "{}: --spec-format is for a spec read from standard input (`-`); a file's \
                 format is its extension",
                self.spec.display()
            ))));
        }
        match load::load_path(&self.spec) {
            Ok(l) => Ok(l),
            Err(e @ (load::LoadError::Io { .. } | load::LoadError::UnknownFormat { .. })) => {
                Err(Err(Failure::Input(e.to_string())))
            }
            Err(load::LoadError::Input(e)) => Err(Err(input_failure(&e, format))),
            Err(e) => Err(Ok(Box::new(Invalid {
                diagnostic: e.to_diagnostic(),
                name: self.name(),
                // Read again with the same bound to show the lines (empty if it cannot be).
                text: banatie_infra_core::input::read_text_lossy(&self.spec).unwrap_or_default(),
            }))),
        }
    }

    fn load_stdin(&self, format: OutputFormat) -> Result<Loaded, Result<Box<Invalid>, Failure>> {
        let limit = banatie_infra_core::input::max_input_size();
        let bytes =
            banatie_infra_core::input::read_bounded(std::io::stdin().lock(), STDIN_NAME, limit)
                .map_err(|e| Err(input_failure(&e, format)))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Err(Failure::Input(format!(
                "{STDIN_NAME}: the spec is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )))
        })?;
        let spec_format = match self.spec_format.unwrap_or(SpecFormat::Yaml) {
            SpecFormat::Yaml => Format::Yaml,
            SpecFormat::Toml => Format::Toml,
            SpecFormat::Json => Format::Json,
        };
        load::load_str(&text, spec_format, STDIN_NAME).map_err(|e| {
            Ok(Box::new(Invalid {
                diagnostic: e.to_diagnostic(),
                name: STDIN_NAME.to_owned(),
                text,
            }))
        })
    }

    /// Loads the spec for a verb that needs a valid one. A spec that does not load is a
    /// finding (exit 1): human text on stderr (`<name>: not a valid spec`), or with
    /// `--format json` the diagnostics array on stdout (the shape of `validate`).
    pub(crate) fn load(&self, format: OutputFormat) -> Result<Loaded, Failure> {
        match self.try_load(format) {
            Ok(l) => Ok(l),
            Err(Err(f)) => Err(f),
            Err(Ok(invalid)) => {
                print_diagnostics(
                    &[invalid.diagnostic],
                    &[(&invalid.name, &invalid.text)],
                    format,
                    true,
                );
                if !format.is_json() {
                    say!("{}: not a valid spec", invalid.name);
                }
                Err(Failure::Findings)
            }
        }
    }
}
