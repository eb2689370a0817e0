//! The posture scanner's input path: any bytes as JSON or YAML (a SageMaker
//! request, SDK arguments, a CloudFormation template with intrinsics, a
//! Terraform plan, aws CLI output, IAM authorization details) are read or
//! refused with an error, and whatever is read is checked — bucket and key
//! policies evaluated, roles analyzed for escalation — without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let yaml = kind % 2 == 1;
    let name = if yaml { "f.yaml" } else { "f.json" };
    let Ok(scope) = mlguard_posture::read_text(name, &text, yaml) else { return };
    let _ = mlguard_posture::check_scope(&scope, &mlguard_posture::Options::default());
});
