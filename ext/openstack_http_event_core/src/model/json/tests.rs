//! The lenient reader against what Ruby's `JSON.parse` reads.

use super::*;

fn read(text: &str) -> Result<Value, Error> {
    parse(text.as_bytes(), 100)
}

fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn special_bytes_are_found_first_wherever_they_are() {
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
    let fillers = [b'a', 0x7f, 0x80, 0xe9, 0xff, b' ', 0x21, 0x5d, 0x1f + 1];
    for len in 0..24 {
        for &filler in &fillers {
            let mut text = vec![filler; len];
            assert_eq!(special_at(&text), naive(&text), "{text:?}");
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x0a, 0x1f] {
                    text[at] = special;
                    assert_eq!(special_at(&text), Some(at), "{text:?}");
                    // a second one after the first changes nothing
                    if at + 3 < len {
                        text[at + 3] = b'"';
                        assert_eq!(special_at(&text), Some(at), "{text:?}");
                        text[at + 3] = filler;
                    }
                    text[at] = filler;
                }
            }
        }
    }
}

#[test]
fn reads_ordinary_json() {
    let v = read(r#" {"a": [1, -2, 3.5, "x", true, false, null, {}, []], "b": {"c": "d"}} "#).unwrap();
    let expected = Value::Object(vec![
        (
            "a".into(),
            Value::Array(vec![
                Value::Int(1),
                Value::Int(-2),
                Value::Float(3.5),
                Value::from("x"),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Object(vec![]),
                Value::Array(vec![]),
            ]),
        ),
        ("b".into(), Value::Object(vec![("c".into(), Value::from("d"))])),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn keeps_repeated_keys_in_order() {
    let v = read(r#"{"k":1,"j":2,"k":3}"#).unwrap();
    assert_eq!(
        v,
        Value::Object(vec![("k".into(), Value::Int(1)), ("j".into(), Value::Int(2)), ("k".into(), Value::Int(3))])
    );
}

#[test]
fn nan_and_infinities_as_ruby_allow_nan() {
    let Value::Array(items) = read("[NaN, Infinity, -Infinity, 1e999, -1e999, 1e-999]").unwrap() else {
        panic!("not an array")
    };
    let floats: Vec<f64> = items
        .iter()
        .map(|v| match v {
            Value::Float(f) => *f,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(floats[0].is_nan());
    assert_eq!(&floats[1..], &[f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY, 0.0]);
}

#[test]
fn integers_beyond_64_bits_are_kept_exactly() {
    assert_eq!(read("123456789012345678901234567890").unwrap(), Value::BigInt("123456789012345678901234567890".into()));
    assert_eq!(
        read("-123456789012345678901234567890").unwrap(),
        Value::BigInt("-123456789012345678901234567890".into())
    );
    assert_eq!(read("9223372036854775807").unwrap(), Value::Int(i64::MAX));
    assert_eq!(read("-9223372036854775808").unwrap(), Value::Int(i64::MIN));
    assert_eq!(read("9223372036854775808").unwrap(), Value::BigInt("9223372036854775808".into()));
    assert_eq!(read("18446744073709551616").unwrap(), Value::BigInt("18446744073709551616".into()));
    // Ruby: JSON.parse("-0") is the Integer 0; with a fraction it is a Float
    assert_eq!(read("-0").unwrap(), Value::Int(0));
    assert_eq!(read("1E2").unwrap(), Value::Float(100.0));
    assert_eq!(read("-0.0").unwrap(), Value::Float(-0.0));
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    assert_eq!(read(r#""a\ud800b""#).unwrap(), Value::from("a\u{fffd}b"));
    assert_eq!(read(r#""\udc00""#).unwrap(), Value::from("\u{fffd}"));
    assert_eq!(read(r#""\ud800\ud800\udc00""#).unwrap(), Value::from("\u{fffd}\u{10000}"));
    assert_eq!(read(r#""\ud800\u0041""#).unwrap(), Value::from("\u{fffd}A"));
    assert_eq!(read(r#""\ud83d\ude00 \u00e9\n\"\\\/\b\f\r\t""#).unwrap(), Value::from("😀 é\n\"\\/\u{8}\u{c}\r\t"));
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    assert_eq!(parse(b"\"x\xff\"", 10).unwrap(), Value::from("x\u{fffd}"));
    assert_eq!(parse(b"\"\xc3\\n\xc3\xa9\"", 10).unwrap(), Value::from("\u{fffd}\né"));
}

#[test]
fn strings_without_escapes_are_borrowed() {
    let mut r = Reader::new(br#" "plain" "es\ncaped""#);
    assert!(matches!(r.read_string().unwrap(), Cow::Borrowed("plain")));
    assert!(matches!(r.read_string().unwrap(), Cow::Owned(s) if s == "es\ncaped"));
}

#[test]
fn depth_is_counted_as_ruby_max_nesting() {
    assert!(parse(b"1", 1).is_ok());
    assert!(parse(b"[]", 1).is_ok());
    assert!(parse(b"[1]", 1).is_ok());
    assert_eq!(parse(b"[[]]", 1).unwrap_err(), Error { kind: ErrorKind::TooDeep(1), at: 1 });
    assert!(parse(br#"{"a":[]}"#, 2).is_ok());
    assert!(parse(br#"{"a":[{}]}"#, 2).is_err());
    assert!(read(&nested(100, "1")).is_ok());
    assert_eq!(read(&nested(101, "1")).unwrap_err().kind, ErrorKind::TooDeep(100));
    assert_eq!(read(&nested(124, r#""x""#)).unwrap_err().kind, ErrorKind::TooDeep(100));
}

#[test]
fn a_deep_value_within_a_large_limit_needs_no_recursion() {
    let v = parse(nested(10_000, "1").as_bytes(), 10_000).unwrap();
    // tear it down level by level (dropping it whole recurses)
    let mut v = v;
    let mut depth = 0;
    while let Value::Array(mut items) = v {
        v = items.pop().unwrap_or(Value::Null);
        depth += 1;
    }
    assert_eq!((depth, v), (10_000, Value::Int(1)));
}

#[test]
fn errors_say_what_and_where() {
    let err = |s: &str| read(s).unwrap_err();
    assert_eq!(err("[1,]"), Error { kind: ErrorKind::Syntax("expected a value"), at: 3 });
    assert_eq!(err("[1 2]"), Error { kind: ErrorKind::Syntax("expected ',' or ']' in an array"), at: 3 });
    assert_eq!(err(r#"{"a" 1}"#), Error { kind: ErrorKind::Syntax("expected ':' after a key"), at: 5 });
    assert_eq!(err("[tru]").kind, ErrorKind::Syntax("expected a value"));
    assert_eq!(err("[nul, 1]").kind, ErrorKind::Syntax("expected a value"));
    assert_eq!(err("01").kind, ErrorKind::Syntax("unexpected data after the value"));
    assert_eq!(err("1.").kind, ErrorKind::Eof);
    assert_eq!(err("[1.e3]").kind, ErrorKind::Syntax("expected a digit"));
    assert_eq!(err("\"a\tb\"").kind, ErrorKind::Syntax("control character in a string"));
    assert_eq!(err(r#""\x""#), Error { kind: ErrorKind::Syntax("invalid escape in a string"), at: 1 });
    assert_eq!(err(r#""\u12G4""#).kind, ErrorKind::Syntax("invalid \\u escape"));
    assert_eq!(err(r#""\u12"#).kind, ErrorKind::Eof);
    assert_eq!(err(r#"["abc"#).kind, ErrorKind::Eof);
    assert_eq!(err("[1").kind, ErrorKind::Eof);
    assert_eq!(err("tr").kind, ErrorKind::Eof);
    assert_eq!(err("").kind, ErrorKind::Eof);
    assert_eq!(err("[1] x").to_string(), "unexpected data after the value at byte 4");
    assert_eq!(err("[[[").to_string(), "input ends at byte 3");
}

#[test]
fn skips_any_value_structurally() {
    let skip = |s: &str| {
        let mut r = Reader::new(s.as_bytes());
        r.skip_value().map(|()| r.position())
    };
    assert_eq!(skip(r#" "a\"]" , 1"#), Ok(7));
    assert_eq!(skip(r#"{"a": [NaN, -Infinity, 1e999, "]}\\"], "b": nul} ,"#), Ok(48));
    assert_eq!(skip("tru ,"), Ok(3));
    assert_eq!(skip("-Infinity]"), Ok(9));
    assert_eq!(skip("[}"), Ok(2));
    assert_eq!(skip(",").unwrap_err().kind, ErrorKind::Syntax("expected a value"));
    assert_eq!(skip(r#"["a"#).unwrap_err().kind, ErrorKind::Eof);
    assert_eq!(skip(r#""a\"#).unwrap_err().kind, ErrorKind::Eof);
    assert_eq!(skip("[[]").unwrap_err().kind, ErrorKind::Eof);
    let deep = nested(1_000_000, "1");
    assert_eq!(skip(&deep), Ok(deep.len()));
}
