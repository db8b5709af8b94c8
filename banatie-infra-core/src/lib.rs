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

pub mod diagnostic;
pub mod environment;
pub mod images;
pub mod load;
pub mod spec;
pub mod types;
pub mod validate;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use spec::Spec;
