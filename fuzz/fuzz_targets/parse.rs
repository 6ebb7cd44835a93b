//! Feeds arbitrary bytes to `asl::parse` (as lossy UTF-8): it must never panic,
//! whatever the input, and must return a definition exactly when it reports no
//! diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for options in [
        asl::ParseOptions::default(),
        asl::ParseOptions {
            state_machine_type: asl::StateMachineType::Express,
        },
    ] {
        let (definition, diagnostics) = asl::parse_with(&text, &options);
        assert_eq!(definition.is_some(), diagnostics.is_empty());
        let _ = asl::create_error_message(&diagnostics);
    }
});
