//! The Compose model the audit and the import read: services, networks and their
//! settings, each value with the file, position and JSON pointer it was written at.
//! Built from the interpolated tree (values as Compose would see them) by [`project`]
//! (in `compose/parse.rs`).

mod parse;

pub(crate) use parse::project;

use crate::diagnostic::Location;

use super::tree::FileId;

/// Where a value is: file, position and JSON pointer in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    /// The file.
    pub(crate) file: FileId,
    /// The position, when known.
    pub(crate) loc: Option<Location>,
    /// The JSON pointer in the file's structure (empty for line-based files).
    pub(crate) pointer: String,
}

/// A command or entrypoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cmd {
    /// The argv (a string form is split like a shell would, as Compose does).
    pub(crate) argv: Vec<String>,
    /// For each argv item of the list form, where it is written; for the string form,
    /// the string's position for every item.
    pub(crate) locs: Vec<Option<Location>>,
    /// Where the key is.
    pub(crate) at: At,
}

/// One `environment` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvVar {
    /// The name.
    pub(crate) name: String,
    /// The value after interpolation; `None` for `- NAME` / `NAME:` without a value.
    pub(crate) value: Option<String>,
    /// The value as written (before interpolation).
    pub(crate) raw: Option<String>,
    /// Where the entry is (the key of the map form, the item of the list form).
    pub(crate) at: At,
    /// Where the value starts (for the list form `NAME=value`, the item).
    pub(crate) value_loc: Option<Location>,
    /// The file the value is written in (an override file may replace a base file's
    /// value under the base file's key).
    pub(crate) value_file: FileId,
    /// For the map form, the value as written when it is a YAML plain scalar.
    pub(crate) plain: Option<String>,
}

/// One mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Volume {
    /// The source: a host path (absolute, `./`, `../`, `~`) or a volume name.
    pub(crate) source: String,
    /// The path in the container.
    pub(crate) target: String,
    /// Mounted read-only.
    pub(crate) read_only: bool,
    /// A bind mount (the source is a host path).
    pub(crate) bind: bool,
    /// Where it is written.
    pub(crate) at: At,
}

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortDef {
    /// The host address, if written.
    pub(crate) host_ip: Option<String>,
    /// The host port, if written.
    pub(crate) host: Option<String>,
    /// The container port.
    pub(crate) container: String,
    /// Where it is written.
    pub(crate) at: At,
}

/// One dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dep {
    /// The service depended on.
    pub(crate) name: String,
    /// The condition; `None` for the short form (which means `service_started`).
    pub(crate) condition: Option<String>,
    /// Where the dependency is written (the list item, or the key of the long form).
    pub(crate) at: At,
    /// Where the condition is written (long form).
    pub(crate) cond_at: Option<At>,
}

/// A health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    /// `test` as a list: `["CMD", ...]`, `["CMD-SHELL", "..."]`, `["NONE"]`; the string
    /// form becomes `["CMD-SHELL", string]`.
    pub(crate) test: Vec<String>,
    /// `disable: true` or `["NONE"]`.
    pub(crate) disabled: bool,
    /// Where `test` is (the key).
    pub(crate) test_at: At,
    /// `interval`, `timeout`, `retries`, `start_period`, `start_interval` as written, with
    /// where each is.
    pub(crate) timing: Vec<(String, String, At)>,
}

/// How a service's image is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildDef {
    /// The context directory as written.
    pub(crate) context: String,
    /// The Dockerfile, relative to the context.
    pub(crate) dockerfile: String,
    /// The target stage.
    pub(crate) target: Option<String>,
    /// Build arguments.
    pub(crate) args: Vec<(String, String)>,
    /// Where `build` is.
    pub(crate) at: At,
}

/// A service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Svc {
    /// The name.
    pub(crate) name: String,
    /// Where its key is.
    pub(crate) at: At,
    /// `image`, with where it is.
    pub(crate) image: Option<(String, At)>,
    /// `build`.
    pub(crate) build: Option<BuildDef>,
    /// `command`.
    pub(crate) command: Option<Cmd>,
    /// `entrypoint`.
    pub(crate) entrypoint: Option<Cmd>,
    /// `environment`.
    pub(crate) environment: Vec<EnvVar>,
    /// `env_file` paths as written.
    pub(crate) env_files: Vec<(String, At)>,
    /// `volumes`.
    pub(crate) volumes: Vec<Volume>,
    /// `ports`.
    pub(crate) ports: Vec<PortDef>,
    /// `networks` (none: the default network).
    pub(crate) networks: Vec<(String, At)>,
    /// `depends_on`.
    pub(crate) depends_on: Vec<Dep>,
    /// `healthcheck`.
    pub(crate) healthcheck: Option<Health>,
    /// `restart`.
    pub(crate) restart: Option<String>,
    /// `container_name`.
    pub(crate) container_name: Option<String>,
    /// `user`.
    pub(crate) user: Option<String>,
}

/// A top-level network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Net {
    /// The key.
    pub(crate) name: String,
    /// `internal: true`.
    pub(crate) internal: bool,
    /// `external: true`.
    pub(crate) external: bool,
    /// `name:` (the engine's name).
    pub(crate) engine_name: Option<String>,
    /// Where it is.
    pub(crate) at: At,
}

/// A Compose project.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Project {
    /// `name:`.
    pub(crate) name: Option<String>,
    /// The services in file order.
    pub(crate) services: Vec<Svc>,
    /// The networks in file order.
    pub(crate) networks: Vec<Net>,
}

impl Project {
    /// The service called `name` (or whose `container_name` is `name`).
    pub(crate) fn service(&self, name: &str) -> Option<&Svc> {
        self.services.iter().find(|s| s.name == name).or_else(|| {
            self.services
                .iter()
                .find(|s| s.container_name.as_deref() == Some(name))
        })
    }

    /// The network called `name`.
    pub(crate) fn network(&self, name: &str) -> Option<&Net> {
        self.networks.iter().find(|n| n.name == name)
    }
}

/// Splits a command string into words like a POSIX shell does (quotes and backslashes),
/// without expansions, as Compose splits the string form of `command` and `entrypoint`.
pub(crate) fn shell_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    cur.push(n);
                }
            }
            '"' => {
                in_word = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some('"' | '\\' | '$' | '`') => cur.push(chars.next().unwrap_or('\\')),
                            _ => cur.push('\\'),
                        },
                        _ => cur.push(n),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Whether a volume source is a host path rather than a named volume.
pub(crate) fn is_host_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with('.') || s.starts_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            shell_split("/bin/sh -c \" mc alias set a $${X}; exit 0;\" 'b c'"),
            ["/bin/sh", "-c", " mc alias set a $${X}; exit 0;", "b c"]
        );
    }
}
