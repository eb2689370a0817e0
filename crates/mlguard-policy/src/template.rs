//! Policy strings: wildcards (`*`, `?`), policy variables (`${aws:username}`,
//! `${aws:PrincipalTag/team, 'default'}`) and the escapes `${*}`, `${?}`, `${$}`.
//!
//! A [`Template`] is compiled once when the policy is parsed. Matching resolves the
//! variables against the request context into a small stack array and then runs a
//! backtracking glob over the parts, so the hot path allocates nothing.

use smallvec::SmallVec;

use crate::context::Context;

/// How a policy string is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `*` and `?` are wildcards (Action, Resource, `StringLike`, `ArnLike`).
    Like,
    /// `*` and `?` are ordinary characters (`StringEquals`, `Bool`, ...).
    Exact,
}

/// A policy variable reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The context key, lowercased (keys are case-insensitive).
    pub key: Box<str>,
    /// The default value after `, '...'`, if any.
    pub default: Option<Box<str>>,
}

/// One piece of a compiled policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(Box<str>),
    /// `*` in [`Mode::Like`]: any run of characters, possibly empty.
    Star,
    /// `?` in [`Mode::Like`]: exactly one character.
    One,
    /// A policy variable, by its index in [`Template::vars`].
    Var(u16),
}

/// A compiled policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub(crate) parts: Box<[Part]>,
    pub(crate) vars: Box<[Variable]>,
}

/// At most this many variables are resolved without allocating.
type Resolved<'c> = SmallVec<[&'c str; 4]>;

impl Template {
    /// Compiles `text`. Variables are recognized only when `variables` is true
    /// (policy language version 2012-10-17).
    pub(crate) fn new(text: &str, mode: Mode, variables: bool) -> Template {
        let mut parts: Vec<Part> = Vec::new();
        let mut vars: Vec<Variable> = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        // Once no `}` is left, no later `${` can open a variable: stop looking, so a
        // string of unclosed `${` compiles in linear time.
        let mut closers_left = variables;
        while let Some(c) = rest.chars().next() {
            if closers_left && rest.starts_with("${") && !rest.contains('}') {
                closers_left = false;
            }
            if closers_left
                && rest.starts_with("${")
                && let Some((inner, after)) = rest.get(2..).and_then(|r| r.split_once('}'))
            {
                match parse_variable(inner) {
                    Some(VarRef::Char(c)) => lit.push(c),
                    Some(VarRef::Key(var)) => match u16::try_from(vars.len()) {
                        Ok(index) => {
                            flush(&mut lit, &mut parts);
                            vars.push(var);
                            parts.push(Part::Var(index));
                        }
                        Err(_) => {
                            lit.push_str(rest.get(..rest.len() - after.len()).unwrap_or_default())
                        }
                    },
                    None => lit.push_str(rest.get(..rest.len() - after.len()).unwrap_or_default()),
                }
                rest = after;
                continue;
            }
            match (mode, c) {
                (Mode::Like, '*') => {
                    flush(&mut lit, &mut parts);
                    // Consecutive stars are one star.
                    if parts.last() != Some(&Part::Star) {
                        parts.push(Part::Star);
                    }
                }
                (Mode::Like, '?') => {
                    flush(&mut lit, &mut parts);
                    parts.push(Part::One);
                }
                _ => lit.push(c),
            }
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        flush(&mut lit, &mut parts);
        Template {
            parts: parts.into_boxed_slice(),
            vars: vars.into_boxed_slice(),
        }
    }

    /// True when the template has neither wildcards nor variables.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// True when the template uses at least one policy variable.
    pub fn has_variables(&self) -> bool {
        !self.vars.is_empty()
    }

    /// The policy variables the template refers to.
    pub fn variables(&self) -> &[Variable] {
        &self.vars
    }

    /// True when the template is a lone `*`.
    pub fn is_match_all(&self) -> bool {
        matches!(&*self.parts, [Part::Star])
    }

    /// Resolves every variable against `context`. `None` when a variable has no
    /// value and no default: AWS then treats the whole string as matching nothing.
    fn resolve<'c>(&'c self, context: &'c Context) -> Option<Resolved<'c>> {
        let mut out = Resolved::new();
        for var in self.vars.iter() {
            match context.single_value(&var.key).or(var.default.as_deref()) {
                Some(v) => out.push(v),
                None => return None,
            }
        }
        Some(out)
    }

    /// Matches `text` against the template, wildcards active.
    /// `fold_ascii_case` compares ASCII letters case-insensitively (actions).
    pub(crate) fn matches(&self, text: &str, context: &Context, fold_ascii_case: bool) -> bool {
        match self.resolve(context) {
            Some(resolved) => glob(&self.parts, &resolved, text, fold_ascii_case),
            None => false,
        }
    }

    /// The text with variables substituted (wildcards written back as `*`/`?`);
    /// `None` when a variable has no value. Allocates: for the rare paths that need it.
    pub(crate) fn render(&self, context: &Context) -> Option<String> {
        let resolved = self.resolve(context)?;
        let mut out = String::new();
        for part in self.parts.iter() {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Var(i) => {
                    out.push_str(resolved.get(usize::from(*i)).copied().unwrap_or_default())
                }
                Part::Star => out.push('*'),
                Part::One => out.push('?'),
            }
        }
        Some(out)
    }

    /// Matches a template compiled without variables (actions), wildcards active.
    pub(crate) fn matches_without_variables(&self, text: &str, fold_ascii_case: bool) -> bool {
        glob(&self.parts, &[], text, fold_ascii_case)
    }

    /// Compares `text` with the template's resolved value, wildcards inert.
    /// `ignore_case` compares Unicode lowercase forms of both sides.
    pub(crate) fn equals(&self, text: &str, context: &Context, ignore_case: bool) -> bool {
        let Some(resolved) = self.resolve(context) else {
            return false;
        };
        if let [Part::Lit(lit)] = &*self.parts {
            return if ignore_case {
                lit.chars()
                    .flat_map(char::to_lowercase)
                    .eq(text.chars().flat_map(char::to_lowercase))
            } else {
                **lit == *text
            };
        }
        let pieces = self.parts.iter().map(|part| match part {
            Part::Lit(s) => &**s,
            Part::Var(i) => resolved.get(usize::from(*i)).copied().unwrap_or_default(),
            // Exact-mode templates hold no wildcards; should one appear, it is literal.
            Part::Star => "*",
            Part::One => "?",
        });
        if ignore_case {
            pieces
                .flat_map(str::chars)
                .flat_map(char::to_lowercase)
                .eq(text.chars().flat_map(char::to_lowercase))
        } else {
            pieces.flat_map(str::chars).eq(text.chars())
        }
    }
}

fn flush(lit: &mut String, parts: &mut Vec<Part>) {
    if !lit.is_empty() {
        parts.push(Part::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

enum VarRef {
    Char(char),
    Key(Variable),
}

/// Parses the inside of `${...}`: a special character, a key, or `key, 'default'`.
/// The context keys of the policy variables in `text`, as written (`${aws:username}`
/// gives `aws:username`), in order; `${*}`, `${?}` and `${$}` are not keys.
pub(crate) fn variable_keys(text: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some((inner, after)) = rest.get(start + 2..).and_then(|r| r.split_once('}')) else {
            break;
        };
        if let Some(VarRef::Key(_)) = parse_variable(inner) {
            let key = inner.split_once(',').map_or(inner, |(k, _)| k).trim();
            keys.push(key);
        }
        rest = after;
    }
    keys
}

fn parse_variable(inner: &str) -> Option<VarRef> {
    match inner {
        "*" => return Some(VarRef::Char('*')),
        "?" => return Some(VarRef::Char('?')),
        "$" => return Some(VarRef::Char('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(quoted.into()))
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(VarRef::Key(Variable {
        key: key.to_ascii_lowercase().into(),
        default,
    }))
}

/// Backtracking glob over template parts. Only the most recent `*` needs to be
/// remembered: with `*` and `?` as the only wildcards this greedy strategy is exact
/// and runs in O(pattern × text) at worst, without recursion.
fn glob(parts: &[Part], resolved: &[&str], text: &str, fold: bool) -> bool {
    let mut pi = 0usize;
    let mut ti = 0usize;
    // (part index after the star, text index the star currently extends to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(part) = parts.get(pi) {
            let advanced = match part {
                Part::Star => {
                    // A trailing star matches whatever is left.
                    if pi + 1 == parts.len() {
                        return true;
                    }
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                Part::One => match text.get(ti..).and_then(|r| r.chars().next()) {
                    Some(c) => {
                        ti += c.len_utf8();
                        true
                    }
                    None => false,
                },
                Part::Lit(lit) => match_prefix(text, &mut ti, lit, fold),
                Part::Var(i) => {
                    let value = resolved.get(usize::from(*i)).copied().unwrap_or_default();
                    match_prefix(text, &mut ti, value, fold)
                }
            };
            if advanced {
                pi += 1;
                continue;
            }
        } else if ti == text.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character and retry.
        match star {
            Some((star_pi, star_ti)) => match text.get(star_ti..).and_then(|r| r.chars().next()) {
                Some(c) => {
                    let next = star_ti + c.len_utf8();
                    star = Some((star_pi, next));
                    pi = star_pi;
                    ti = next;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

fn match_prefix(text: &str, ti: &mut usize, lit: &str, fold: bool) -> bool {
    let Some(head) = text.get(*ti..).and_then(|r| r.get(..lit.len())) else {
        return false;
    };
    let same = if fold {
        head.eq_ignore_ascii_case(lit)
    } else {
        head == lit
    };
    if same {
        *ti += lit.len();
    }
    same
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, ContextValue};

    fn like(p: &str, t: &str) -> bool {
        Template::new(p, Mode::Like, true).matches(t, &Context::new(), false)
    }

    #[test]
    fn glob_semantics() {
        assert!(like("*", ""));
        assert!(like("*", "anything"));
        assert!(like("a*c", "abbbc"));
        assert!(like("a*c", "ac"));
        assert!(!like("a*c", "acb"));
        assert!(like("a?c", "abc"));
        assert!(!like("a?c", "ac"));
        assert!(like("*log*", "my-logs-bucket"));
        assert!(like("a*b*c", "aXbYbZc"));
        assert!(!like("a*b*c", "aXbYbZ"));
        assert!(like("é?", "éü"));
        assert!(like("**a", "ba"));
        assert!(!like("abc", "ABC"));
        assert!(Template::new("s3:get*", Mode::Like, false).matches(
            "S3:GetObject",
            &Context::new(),
            true
        ));
    }

    #[test]
    fn escapes_are_literal_characters() {
        assert!(like("a${*}b", "a*b"));
        assert!(!like("a${*}b", "axb"));
        assert!(like("a${?}", "a?"));
        assert!(like("${$}{x}", "${x}"));
    }

    #[test]
    fn variables_resolve_or_match_nothing() {
        let mut ctx = Context::new();
        ctx.insert("aws:username", ContextValue::string("David"));
        let t = Template::new("home/${aws:username}/*", Mode::Like, true);
        assert!(t.matches("home/David/file", &ctx, false));
        assert!(!t.matches("home/Adele/file", &ctx, false));
        assert!(!t.matches("home/David/file", &Context::new(), false));
        let with_default = Template::new(
            "bucket-${aws:PrincipalTag/team, 'company-wide'}",
            Mode::Like,
            true,
        );
        assert!(with_default.matches("bucket-company-wide", &Context::new(), false));
        // A star inside a variable's value is not a wildcard.
        ctx.insert("aws:username", ContextValue::string("*"));
        assert!(!t.matches("home/David/file", &ctx, false));
    }

    #[test]
    fn version_2008_treats_variables_as_text() {
        let t = Template::new("${aws:username}", Mode::Exact, false);
        assert!(t.equals("${aws:username}", &Context::new(), false));
    }

    #[test]
    fn exact_equality_with_case_folding() {
        let t = Template::new("Finance", Mode::Exact, true);
        assert!(t.equals("FINANCE", &Context::new(), true));
        assert!(!t.equals("finance", &Context::new(), false));
        assert!(Template::new("ÉTÉ", Mode::Exact, true).equals("été", &Context::new(), true));
        let mut ctx = Context::new();
        ctx.insert("aws:username", ContextValue::string("Bob"));
        let v = Template::new("user-${aws:username}", Mode::Exact, true);
        assert!(v.equals("user-Bob", &ctx, false));
        assert!(v.equals("USER-BOB", &ctx, true));
        assert!(!v.equals("user-Bo", &ctx, false));
    }
}
