//! Finding where a dotted key path stands in the TOML text, for messages with line numbers.

use toml::de::{DeTable, DeValue};

/// Byte offset → 1-based (line, column).
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The position of the deepest key of `path` that exists in the document. A path that is
/// only partly present (a missing key) points at its nearest existing parent.
pub fn locate(source: &str, path: &[&str]) -> Option<(usize, usize)> {
    let root = DeTable::parse(source).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    for (depth, part) in path.iter().enumerate() {
        let Some((key, value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *part) else {
            break;
        };
        found = Some(key.span().start);
        if depth + 1 == path.len() {
            break;
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            DeValue::Array(items) => {
                // Array elements are addressed by index in the path.
                let Some(index) = path.get(depth + 1).and_then(|p| p.parse::<usize>().ok()) else {
                    break;
                };
                match items.get(index) {
                    Some(item) => found = Some(item.span().start),
                    None => break,
                }
                break;
            }
            _ => break,
        }
    }
    found.map(|offset| line_col(source, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "a = 1\n\n[b.c]\nd = \"x\"\n[b.e]\nf = [1, 2]\n";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(locate(DOC, &["a"]), Some((1, 1)));
        assert_eq!(locate(DOC, &["b", "c", "d"]), Some((4, 1)));
        assert_eq!(locate(DOC, &["b", "e", "f", "1"]), Some((6, 9)));
        assert_eq!(locate(DOC, &["b", "c", "missing"]), Some((3, 4)));
        assert_eq!(locate(DOC, &["zz"]), None);
    }
}
