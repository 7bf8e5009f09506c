//! The console's IPC contract, generated from the Rust side: every `#[tauri::command]` in
//! `src-tauri/src/commands.rs`, with its arguments (as the webview names them: camelCase) and its
//! result, becomes one entry of `ui/src/bindings/commands.ts`. `ui/src/api.ts` calls commands
//! only through that table, so a renamed command, a changed argument or result type is a
//! TypeScript error, not a failure in the window. Like ts-rs's bindings, the file is rewritten
//! by `cargo test` and the test command fails when the committed one differs (drift check).
//! The same test holds `src-tauri/build.rs`'s permission list to the commands defined.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

const COMMANDS_RS: &str = "../src-tauri/src/commands.rs";
const BUILD_RS: &str = "../src-tauri/build.rs";
const OUT: &str = "../ui/src/bindings/commands.ts";

/// Arguments Tauri fills in itself (state, the app handle): not sent by the webview.
const INJECTED: [&str; 4] = ["S", "State", "AppHandle", "Window"];

/// A command as the webview sees it: its name, its arguments (name, TypeScript type) and the
/// TypeScript type of its result.
struct Command {
    name: String,
    args: Vec<(String, String)>,
    result: String,
}

#[test]
fn the_ui_calls_commands_through_types_generated_from_rust() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join(COMMANDS_RS)).expect("commands.rs");
    let file = syn::parse_file(&source).expect("commands.rs parses");
    let mut commands = Vec::new();
    for item in &file.items {
        let Item::Fn(f) = item else { continue };
        if !f
            .attrs
            .iter()
            .any(|a| a.path().segments.iter().any(|s| s.ident == "command"))
        {
            continue;
        }
        let name = f.sig.ident.to_string();
        let mut args = Vec::new();
        for input in &f.sig.inputs {
            let FnArg::Typed(arg) = input else { continue };
            if INJECTED.contains(&outer_name(&arg.ty).as_str()) {
                continue;
            }
            let syn::Pat::Ident(ident) = &*arg.pat else {
                panic!("{name}: an argument that is not a plain name");
            };
            args.push((camel(&ident.ident.to_string()), ts(&arg.ty)));
        }
        let result = match &f.sig.output {
            ReturnType::Default => "null".to_string(),
            ReturnType::Type(_, t) => ts(&ok_of(t)),
        };
        commands.push(Command { name, args, result });
    }
    assert!(commands.len() > 30, "found {} commands", commands.len());

    // build.rs grants the window exactly these (one `allow-<command>` each).
    let build = std::fs::read_to_string(root.join(BUILD_RS)).expect("build.rs");
    let listed: BTreeSet<String> = build
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .strip_suffix("\",")
                .map(String::from)
        })
        .collect();
    let defined: BTreeSet<String> = commands.iter().map(|c| c.name.clone()).collect();
    assert_eq!(
        listed, defined,
        "src-tauri/build.rs lists other commands than commands.rs defines"
    );

    let generated = render(&commands);
    let out = root.join(OUT);
    let before = std::fs::read_to_string(&out).unwrap_or_default();
    if before != generated {
        std::fs::write(&out, &generated).expect("write commands.ts");
    }
}

fn render(commands: &[Command]) -> String {
    let mut imports = BTreeSet::new();
    for c in commands {
        for t in c.args.iter().map(|a| &a.1).chain([&c.result]) {
            for word in t.split(|c: char| !c.is_ascii_alphanumeric()) {
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && !["Record", "Array"].contains(&word)
                {
                    imports.insert(word.to_string());
                }
            }
        }
    }
    let mut out = String::from(
        "// Generated from src-tauri/src/commands.rs by tests/ipc (cargo test). Do not edit by hand.\n",
    );
    for i in &imports {
        writeln!(out, "import type {{ {i} }} from \"./{i}\";").unwrap();
    }
    out.push_str(
        "\n/** Every command the console's window may call: its arguments and its result. */\nexport interface Commands {\n",
    );
    for c in commands {
        let args = if c.args.is_empty() {
            "Record<string, never>".to_string()
        } else {
            let fields: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            format!("{{ {} }}", fields.join("; "))
        };
        writeln!(
            out,
            "  {}: {{ args: {args}; result: {} }};",
            c.name, c.result
        )
        .unwrap();
    }
    out.push_str("}\n");
    out
}

/// The last path segment's name (`State` of `tauri::State<'_, T>`).
fn outer_name(t: &Type) -> String {
    match t {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        Type::Reference(r) => outer_name(&r.elem),
        _ => String::new(),
    }
}

fn generics(t: &Type) -> Vec<Type> {
    let Type::Path(p) = t else { return Vec::new() };
    let Some(last) = p.path.segments.last() else {
        return Vec::new();
    };
    let PathArguments::AngleBracketed(a) = &last.arguments else {
        return Vec::new();
    };
    a.args
        .iter()
        .filter_map(|g| match g {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// `T` of `R<T>` / `Result<T, E>`, else the type itself.
fn ok_of(t: &Type) -> Type {
    match outer_name(t).as_str() {
        "R" | "Result" => generics(t).into_iter().next().expect("R<T>"),
        _ => t.clone(),
    }
}

/// The TypeScript of a Rust type as serde sends it (named types are ts-rs's bindings).
fn ts(t: &Type) -> String {
    if let Type::Tuple(tuple) = t
        && tuple.elems.is_empty()
    {
        return "null".into();
    }
    let name = outer_name(t);
    let inner = generics(t);
    match name.as_str() {
        "String" | "str" => "string".into(),
        "i64" | "i32" | "u64" | "u32" | "usize" | "f64" => "number".into(),
        "bool" => "boolean".into(),
        "Value" => "unknown".into(),
        "Option" => format!("{} | null", ts(&inner[0])),
        "Vec" => format!("Array<{}>", ts(&inner[0])),
        "Map" | "HashMap" | "BTreeMap" => format!("Record<string, {}>", ts(&inner[1])),
        "" => panic!("a type the generator cannot name"),
        other => other.to_string(),
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
