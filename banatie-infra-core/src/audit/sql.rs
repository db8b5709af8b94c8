//! Init SQL for the PostgreSQL image (`/docker-entrypoint-initdb.d/*.sql`): a statement
//! scanner and the rules on it: an application role that cannot create tables in schema
//! `public` on PostgreSQL 15 and later (BI510), and role or database names hard-coded in
//! the script that the environment sets elsewhere (BI511).
//!
//! The scanner splits statements at `;` outside quotes, comments and dollar quotes, and
//! reads each as a list of tokens (keywords upper-cased, identifiers folded to lower case
//! unless double-quoted). psql meta-commands (`\c ...`) end a statement.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::Location;

/// A token of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tok {
    /// The identifier or keyword, folded to lower case unless it was double-quoted; a
    /// string literal keeps its text (without quotes); punctuation is itself.
    pub(crate) text: String,
    /// Whether it was a string literal (`'...'`).
    pub(crate) literal: bool,
    /// Where it starts.
    pub(crate) at: Location,
}

/// A statement: its tokens (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stmt {
    /// The tokens.
    pub(crate) toks: Vec<Tok>,
}

impl Stmt {
    fn is(&self, i: usize, kw: &str) -> bool {
        self.toks.get(i).is_some_and(|t| !t.literal && t.text == kw)
    }

    /// The index of keyword `kw` at or after `from`.
    fn find(&self, from: usize, kw: &str) -> Option<usize> {
        (from..self.toks.len()).find(|&i| self.is(i, kw))
    }

    /// Where the statement starts.
    pub(crate) fn at(&self) -> Location {
        self.toks[0].at
    }
}

/// The scanner's state: the text, the position, the statement being read and those
/// read.
struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    /// The tokens of the statement being read.
    toks: Vec<Tok>,
    /// The statements read.
    out: Vec<Stmt>,
}

/// Splits SQL text into statements.
pub(crate) fn scan(text: &str) -> Vec<Stmt> {
    let mut sc = Scanner {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
        toks: Vec::new(),
        out: Vec::new(),
    };
    while sc.i < sc.chars.len() {
        let c = sc.chars[sc.i];
        let at = Location {
            line: sc.line,
            column: sc.col,
        };
        if c.is_whitespace() {
            sc.advance(1);
        } else if c == '-' && sc.chars.get(sc.i + 1) == Some(&'-') {
            sc.skip_line();
        } else if c == '/' && sc.chars.get(sc.i + 1) == Some(&'*') {
            sc.block_comment();
        } else if c == '\\' && sc.at_line_start() {
            // A psql meta-command ends the statement and runs to the end of the line.
            sc.end_stmt();
            sc.skip_line();
        } else if c == ';' {
            sc.advance(1);
            sc.end_stmt();
        } else if c == '\'' || c == '"' {
            sc.quoted(c, at);
        } else if c == '$' {
            sc.dollar(at);
        } else if c.is_alphanumeric() || c == '_' {
            sc.word(at);
        } else {
            sc.advance(1);
            sc.toks.push(Tok {
                text: c.to_string(),
                literal: false,
                at,
            });
        }
    }
    sc.end_stmt();
    sc.out
}

impl Scanner {
    /// Moves `n` characters on (past the end counts too), keeping the line and column.
    fn advance(&mut self, n: usize) {
        for _ in 0..n {
            if self.chars.get(self.i) == Some(&'\n') {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
            self.i += 1;
        }
    }

    /// Whether only white space precedes the position on its line.
    fn at_line_start(&self) -> bool {
        self.chars[..self.i]
            .iter()
            .rev()
            .take_while(|c| **c != '\n')
            .all(|c| c.is_whitespace())
    }

    /// Ends the statement being read, if it has tokens.
    fn end_stmt(&mut self) {
        if !self.toks.is_empty() {
            self.out.push(Stmt {
                toks: std::mem::take(&mut self.toks),
            });
        }
    }

    /// Skips to the end of the line (a `--` comment, a psql meta-command).
    fn skip_line(&mut self) {
        while self.i < self.chars.len() && self.chars[self.i] != '\n' {
            self.advance(1);
        }
    }

    /// Skips a `/* ... */` comment.
    fn block_comment(&mut self) {
        self.advance(2);
        while self.i < self.chars.len()
            && !(self.chars[self.i] == '*' && self.chars.get(self.i + 1) == Some(&'/'))
        {
            self.advance(1);
        }
        self.advance(2);
    }

    /// A string literal (`'...'`) or a quoted identifier (`"..."`), the quote doubled
    /// inside it.
    fn quoted(&mut self, c: char, at: Location) {
        self.advance(1);
        let mut s = String::new();
        while self.i < self.chars.len() {
            if self.chars[self.i] == c {
                if self.chars.get(self.i + 1) == Some(&c) {
                    s.push(c);
                    self.advance(2);
                    continue;
                }
                self.advance(1);
                break;
            }
            s.push(self.chars[self.i]);
            self.advance(1);
        }
        self.toks.push(Tok {
            text: s,
            literal: c == '\'',
            at,
        });
    }

    /// Dollar quoting: `$tag$ ... $tag$` (a function body), skipped as one literal; a
    /// lone `$` otherwise.
    fn dollar(&mut self, at: Location) {
        let chars = &self.chars;
        let i = self.i;
        let mut j = i + 1;
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if chars.get(j) == Some(&'$') {
            let tag: String = chars[i..=j].iter().collect();
            let n = j + 1 - i;
            self.advance(n);
            let mut body = String::new();
            while self.i < self.chars.len() {
                let rest: String = self.chars
                    [self.i..(self.i + tag.chars().count()).min(self.chars.len())]
                    .iter()
                    .collect();
                if rest == tag {
                    self.advance(tag.chars().count());
                    break;
                }
                body.push(self.chars[self.i]);
                self.advance(1);
            }
            self.toks.push(Tok {
                text: body,
                literal: true,
                at,
            });
        } else {
            self.advance(1);
            self.toks.push(Tok {
                text: "$".into(),
                literal: false,
                at,
            });
        }
    }

    /// An identifier or keyword, folded to lower case.
    fn word(&mut self, at: Location) {
        let mut s = String::new();
        while self.i < self.chars.len()
            && (self.chars[self.i].is_alphanumeric()
                || self.chars[self.i] == '_'
                || self.chars[self.i] == '$')
        {
            s.push(self.chars[self.i].to_ascii_lowercase());
            self.advance(1);
        }
        self.toks.push(Tok {
            text: s,
            literal: false,
            at,
        });
    }
}

/// Identifier tokens from `from` up to (not including) the first keyword in `stop`,
/// skipping commas.
fn ident_list<'a>(s: &'a Stmt, from: usize, stop: &[&str]) -> Vec<&'a Tok> {
    let mut out = Vec::new();
    for t in &s.toks[from.min(s.toks.len())..] {
        if !t.literal && stop.contains(&t.text.as_str()) {
            break;
        }
        if t.text == "," || t.literal {
            continue;
        }
        out.push(t);
    }
    out
}

/// What an init script does with roles, databases and schema `public`.
#[derive(Debug, Default)]
pub(crate) struct Effects<'a> {
    /// Roles created: name → the CREATE statement's token.
    pub(crate) created: Vec<(&'a str, &'a Tok)>,
    /// `GRANT ... ON DATABASE d TO r`: (role, database, statement start).
    pub(crate) db_grants: Vec<(&'a str, &'a str, Location)>,
    /// Roles that own a database (CREATE DATABASE ... OWNER, ALTER DATABASE ... OWNER TO).
    pub(crate) db_owners: HashSet<&'a str>,
    /// Roles that may create in schema public (GRANT CREATE/ALL ON SCHEMA public, owner).
    pub(crate) schema_create: HashSet<&'a str>,
    /// Every role name used as a grantee or owner, with its token (in order).
    pub(crate) role_uses: Vec<&'a Tok>,
    /// Every database name used in GRANT ... ON DATABASE / ALTER DATABASE / CREATE
    /// DATABASE, with its token.
    pub(crate) db_uses: Vec<&'a Tok>,
    /// Databases the statements create (`CREATE DATABASE d`).
    pub(crate) created_dbs: HashSet<&'a str>,
}

/// Reads what `stmts` do to roles, databases and schema public.
pub(crate) fn effects(stmts: &[Stmt]) -> Effects<'_> {
    let mut e = Effects::default();
    for s in stmts {
        if s.is(0, "create") && (s.is(1, "role") || s.is(1, "user")) {
            if let Some(t) = s.toks.get(2) {
                e.created.push((t.text.as_str(), t));
            }
        } else if s.is(0, "create") && s.is(1, "database") {
            if let Some(t) = s.toks.get(2) {
                e.created_dbs.insert(t.text.as_str());
                e.db_uses.push(t);
            }
            if let Some(k) = s.find(3, "owner") {
                let k = if s.toks.get(k + 1).is_some_and(|t| t.text == "=") {
                    k + 2
                } else {
                    k + 1
                };
                if let Some(t) = s.toks.get(k) {
                    e.db_owners.insert(t.text.as_str());
                    e.role_uses.push(t);
                }
            }
        } else if s.is(0, "alter") && s.is(1, "database") && s.find(3, "owner").is_some() {
            if let Some(t) = s.toks.get(2) {
                e.db_uses.push(t);
            }
            if let Some(k) = s.find(3, "to") {
                if let Some(t) = s.toks.get(k + 1) {
                    e.db_owners.insert(t.text.as_str());
                    e.role_uses.push(t);
                }
            }
        } else if s.is(0, "alter") && s.is(1, "schema") && s.is(2, "public") && s.is(3, "owner") {
            if let Some(t) = s.toks.get(5) {
                e.schema_create.insert(t.text.as_str());
                e.role_uses.push(t);
            }
        } else if s.is(0, "grant") {
            let Some(on) = s.find(1, "on") else { continue };
            let Some(to) = s.find(on + 1, "to") else {
                continue;
            };
            let privs: Vec<&str> = s.toks[1..on].iter().map(|t| t.text.as_str()).collect();
            let grantees = ident_list(s, to + 1, &["with", "granted"]);
            e.role_uses.extend(grantees.iter().copied());
            if s.is(on + 1, "database") {
                let dbs = ident_list(s, on + 2, &["to"]);
                e.db_uses.extend(dbs.iter().copied());
                for g in &grantees {
                    for d in &dbs {
                        e.db_grants.push((g.text.as_str(), d.text.as_str(), s.at()));
                    }
                }
            } else if s.is(on + 1, "schema") {
                let schemas = ident_list(s, on + 2, &["to"]);
                let creates = privs.iter().any(|p| *p == "create" || *p == "all");
                if creates && schemas.iter().any(|t| t.text == "public") {
                    for g in &grantees {
                        e.schema_create.insert(g.text.as_str());
                    }
                }
            }
        }
    }
    e
}

/// Roles every cluster has, or that are not roles: never reported.
pub(crate) fn builtin_role(name: &str) -> bool {
    matches!(
        name,
        "postgres" | "public" | "current_user" | "session_user" | "current_role"
    ) || name.starts_with("pg_")
}

/// BI510: on PostgreSQL 15 and later, a role that is created or granted on a database but
/// neither owns a database nor was granted CREATE on schema public cannot create tables.
/// `superuser` is the `POSTGRES_USER` of the server (the bootstrap superuser). Returns
/// (where, role) for each role, at its first GRANT ON DATABASE, else at its CREATE.
pub(crate) fn roles_without_schema_create<'a>(
    e: &Effects<'a>,
    superuser: Option<&str>,
) -> Vec<(Location, &'a str)> {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut out = Vec::new();
    let candidates = e
        .db_grants
        .iter()
        .map(|(r, _, at)| (*r, *at))
        .chain(e.created.iter().map(|(r, t)| (*r, t.at)));
    for (role, at) in candidates {
        if builtin_role(role)
            || Some(role) == superuser
            || e.db_owners.contains(role)
            || e.schema_create.contains(role)
            || seen.insert(role, ()).is_some()
        {
            continue;
        }
        out.push((at, role));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_positions() {
        let s = scan("-- c\nCREATE ROLE app_user LOGIN PASSWORD 'x;y';\n/* z; */ GRANT ALL PRIVILEGES ON DATABASE app TO app_user;\n\\c app\nDO $$ BEGIN PERFORM 1; END $$;\n");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].at(), Location { line: 2, column: 1 });
        assert_eq!(
            s[1].at(),
            Location {
                line: 3,
                column: 10
            }
        );
        let e = effects(&s);
        assert_eq!(e.created[0].0, "app_user");
        assert_eq!(
            e.db_grants,
            [(
                "app_user",
                "app",
                Location {
                    line: 3,
                    column: 10
                }
            )]
        );
        let r = roles_without_schema_create(&e, Some("postgres"));
        assert_eq!(
            r,
            [(
                Location {
                    line: 3,
                    column: 10
                },
                "app_user"
            )]
        );
    }

    #[test]
    fn owner_or_schema_grant_is_enough() {
        for sql in [
            "CREATE ROLE a; GRANT ALL ON DATABASE d TO a; GRANT USAGE, CREATE ON SCHEMA public TO a;",
            "CREATE ROLE a; ALTER DATABASE d OWNER TO a;",
            "CREATE ROLE a; CREATE DATABASE d OWNER = a;",
            "CREATE ROLE a; ALTER SCHEMA public OWNER TO a;",
        ] {
            let s = scan(sql);
            let e = effects(&s);
            assert!(roles_without_schema_create(&e, None).is_empty(), "{sql}");
        }
        let s = scan("GRANT CREATE ON SCHEMA public TO banatie_user;\nGRANT ALL ON SCHEMA public TO banatie_user;\n");
        let e = effects(&s);
        assert_eq!(e.role_uses.len(), 2);
        assert!(roles_without_schema_create(&e, Some("banatie_user")).is_empty());
    }
}
