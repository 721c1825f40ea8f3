//! YAML 1.2 core schema resolution of plain scalars.

/// What a plain scalar means under the YAML 1.2 core schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved {
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `true`/`false` in three capitalisations; `yes`, `on` and friends are strings.
    Bool(bool),
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Signed(i64),
    /// A floating-point number, `.inf` and `.nan` included.
    Float(f64),
    /// Anything else: a string.
    Str,
}

/// Resolves a plain scalar's text.
pub fn resolve(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let bytes = text.as_bytes();
    // Fast exit: every number starts with a digit, a sign or a dot.
    if !matches!(bytes[0], b'0'..=b'9' | b'-' | b'+' | b'.') {
        return Resolved::Str;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return radix(oct, 8);
    }
    let (negative, digits) = match bytes[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match (negative, digits.parse::<u64>()) {
            (false, Ok(n)) => Resolved::Unsigned(n),
            (true, Ok(n)) if n <= i64::MAX as u64 + 1 => {
                Resolved::Signed((n as i128).wrapping_neg() as i64)
            }
            // Too large for 64 bits: still a number, kept as a float.
            _ => text.parse().map_or(Resolved::Str, Resolved::Float),
        };
    }
    if is_float(digits) {
        return text.parse().map_or(Resolved::Str, Resolved::Float);
    }
    Resolved::Str
}

fn radix(digits: &str, base: u32) -> Resolved {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Resolved::Str;
    }
    u64::from_str_radix(digits, base).map_or(Resolved::Str, Resolved::Unsigned)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, sign already stripped.
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::{Resolved, resolve};

    #[test]
    fn core_schema_types() {
        assert_eq!(resolve("80"), Resolved::Unsigned(80));
        assert_eq!(resolve("-3"), Resolved::Signed(-3));
        assert_eq!(resolve("0x1F"), Resolved::Unsigned(31));
        assert_eq!(resolve("0o17"), Resolved::Unsigned(15));
        assert_eq!(resolve("2.8"), Resolved::Float(2.8));
        assert_eq!(resolve("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve("true"), Resolved::Bool(true));
        assert_eq!(resolve("~"), Resolved::Null);
        // YAML 1.1 booleans and dates are strings in 1.2.
        for s in [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "2027-03-01",
            "8000-8100",
            "1.2.3",
            "0x",
            "e3",
            ".",
        ] {
            assert_eq!(resolve(s), Resolved::Str, "{s}");
        }
    }
}
