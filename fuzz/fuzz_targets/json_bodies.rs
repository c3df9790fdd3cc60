//! Every JSON body the API takes is read without panicking; a refusal names
//! a field.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    printfarm::api::fuzzing::bodies(data);
});
