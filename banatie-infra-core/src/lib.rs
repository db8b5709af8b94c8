//! # banatie-infra-core
//!
//! A single-VPS Docker deployment as a typed, validated spec: load it from YAML, TOML or
//! JSON ([`load`]), check it ([`validate`]), render every file of the deployment from it
//! ([`render`]), and write the result atomically ([`bundle`]) with secrets generated into a
//! 0600 file ([`secrets`]).
//!
//! ```
//! use banatie_infra_core::{load, render, validate};
//!
//! let text = r#"
//! stack: { name: demo }
//! networks:
//!   internal: { internal: true }
//! services:
//!   db: { kind: postgres, image: "postgres:15.8-alpine", networks: [internal] }
//! secrets:
//!   POSTGRES_PASSWORD: {}
//! "#;
//! let loaded = load::load_str(text, load::Format::Yaml, "demo.yaml").unwrap();
//! let diags = validate::validate(&loaded.spec);
//! assert!(!banatie_infra_core::diagnostic::has_errors(&diags), "{diags:?}");
//! let bundle = render::render(&loaded.spec).unwrap();
//! assert!(bundle.get("docker-compose.yml").is_some());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit;
pub mod bundle;
pub mod diagnostic;
#[cfg(feature = "docker")]
pub mod docker;
pub mod envfile;
pub mod environment;
pub mod header;
pub mod images;
pub mod import;
pub mod input;
pub mod jail;
pub mod load;
pub mod lock;
pub mod redact;
pub mod render;
pub mod roots;
pub mod rules;
#[cfg(feature = "schema")]
pub mod schema;
pub mod secrets;
pub mod spec;
pub mod types;
pub mod validate;
pub mod values;

pub use diagnostic::{Code, Diagnostic, Severity};

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
pub use spec::Spec;

/// Every diagnostic code this crate can report, with its severity and its one-line
/// summary, in code order: a thin view of [`rules::all`] (which also has each rule's name,
/// family and explanation), kept for the callers that take the triple.
pub fn rules() -> Vec<(Code, Severity, &'static str)> {
    rules::all()
        .iter()
        .map(|r| (r.code, r.severity, r.summary))
        .collect()
}

#[doc(hidden)]
pub mod fuzzing;
