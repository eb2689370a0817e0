//! Prints what the default detector finds in each argument (or stdin line).

#![allow(clippy::string_slice, clippy::indexing_slicing, reason = "example")]

use mlguard_pii::Detector;

fn main() {
    let d = Detector::with_defaults();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let texts = if args.is_empty() {
        std::io::stdin().lines().map_while(Result::ok).collect()
    } else {
        args
    };
    for t in texts {
        println!("{t}");
        for f in d.detect(&t) {
            println!(
                "  {} {:.2} [{}]",
                d.label_name(f.label),
                f.score,
                &t[f.start..f.end]
            );
        }
    }
}
