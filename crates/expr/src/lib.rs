//! The ASL data languages: JSONPath, payload templates, intrinsic functions, Choice rules.
