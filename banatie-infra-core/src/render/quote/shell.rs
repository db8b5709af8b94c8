//! Shell: one POSIX shell word for any text, and the expansion of a variable as one word
//! (the scripts the renderer writes: backups, restores, the storage init job).

/// Quotes `s` as one POSIX shell word: single quotes, with `'` written as `'\''`.
///
/// ```
/// use banatie_infra_core::render::quote::shell;
/// assert_eq!(shell("it's"), r#"'it'\''s'"#);
/// assert_eq!(shell("plain"), "'plain'");
/// ```
pub fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Writes the expansion of shell variable `name` as one word, `"${NAME}"`: the braces end
/// the name wherever the word is put, the double quotes keep the value one field (no
/// splitting, no globbing; POSIX Shell Command Language, 2.6.2 and 2.6.5). `name` is an
/// [`EnvName`](crate::types::EnvName), so it is always a valid shell name.
///
/// ```
/// use banatie_infra_core::render::quote::shell_param;
/// let name: banatie_infra_core::types::EnvName = "MINIO_ACCESS_KEY".parse().unwrap();
/// assert_eq!(shell_param(&name), r#""${MINIO_ACCESS_KEY}""#);
/// ```
pub fn shell_param(name: &crate::types::EnvName) -> String {
    format!("\"${{{name}}}\"")
}
