//! The core's layout, checked: no import cycle among its files or among its
//! top-level modules, and no file over the size a reader takes in at once
//! (files only tests declare aside).
//!
//! Dependencies are read as a newcomer reads them: every `use` item and every
//! `crate::`, `super::` and `self::` path in the code (macro bodies
//! included), test code left out (`#[cfg(test)]` items and the files only
//! they declare). A path that lands on a name a module imports is followed
//! to where that name lives, so going through a `mod.rs` re-export is a
//! dependency on the file that defines the item. A `mod.rs` (or `lib.rs`)
//! declaring or re-exporting its own descendants is not a dependency on them;
//! code of its that uses them is.
//!
//! Hand-written over `cargo-modules`: that tool would be compiled on every
//! fresh CI machine (minutes), while this reads the sources with `syn`, which
//! the build compiles anyway.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// The most lines a file that is not only tests may hold (its own unit tests
/// included: past this, they move to a `tests.rs` beside it).
const MAX_LINES: usize = 700;

/// One source file of the crate: its module path and what it refers to.
struct Module {
    file: PathBuf,
    /// Segments below the crate root (`[]` for `lib.rs`).
    path: Vec<String>,
    /// `lib.rs` or a `mod.rs`: its declared children live beneath it.
    is_dir_module: bool,
    /// Names this module's `use` items bring into scope, as absolute paths
    /// (`None`: an external crate's).
    imports: HashMap<String, Option<Vec<String>>>,
    /// Child modules declared here (not under `#[cfg(test)]`).
    children: BTreeSet<String>,
    /// Paths the code uses, each relative to this module as written.
    uses: Vec<Reference>,
    /// Lines of the file, tests inside it included.
    lines: usize,
}

/// A path written in a module.
struct Reference {
    segments: Vec<String>,
    /// From a `pub use` (a re-export), not from code.
    reexport: bool,
}

/// `#[cfg(test)]` (or any `cfg` that holds only under test).
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(list) if a.path().is_ident("cfg") => {
            let text = list.tokens.to_string();
            text.contains("test") && !text.contains("not")
        }
        _ => false,
    })
}

/// Flattens a `use` tree into (name brought in scope, path) pairs; a glob
/// gives the module's path under the name `*`.
fn flatten(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                out.push((prefix.last().cloned().unwrap_or_default(), prefix.clone()));
            } else {
                let mut path = prefix.clone();
                path.push(name.clone());
                out.push((name, path));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            let name = r.ident.to_string();
            if name != "self" {
                path.push(name);
            }
            out.push((r.rename.to_string(), path));
        }
        syn::UseTree::Glob(_) => out.push(("*".into(), prefix.clone())),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten(t, prefix, out);
            }
        }
    }
}

/// Collects the paths code refers to, test items left out.
struct Collector<'a> {
    uses: &'a mut Vec<Reference>,
}

impl Collector<'_> {
    fn push(&mut self, segments: Vec<String>) {
        self.uses.push(Reference { segments, reexport: false });
    }

    /// `crate::a::b`, `super::x`, `self::y` inside a macro's tokens.
    fn scan(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.scan(g.stream()),
                TokenTree::Ident(id) if matches!(id.to_string().as_str(), "crate" | "super" | "self") => {
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    loop {
                        match (trees.get(j), trees.get(j + 1), trees.get(j + 2)) {
                            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(next)))
                                if a.as_char() == ':' && b.as_char() == ':' =>
                            {
                                segments.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if segments.len() > 1 {
                        self.push(segments);
                    }
                    i = j.max(i + 1);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_test_only(item_attrs(item)) || matches!(item, syn::Item::Use(_) | syn::Item::Mod(_)) {
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        if let syn::ImplItem::Fn(f) = item {
            if is_test_only(&f.attrs) {
                return;
            }
        }
        syn::visit::visit_impl_item(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.push(segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        _ => &[],
    }
}

fn load(root: &Path, file: PathBuf, path: Vec<String>, is_dir_module: bool, out: &mut Vec<Module>) {
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let dir =
        if is_dir_module { file.parent().map(Path::to_path_buf).unwrap_or_default() } else { file.with_extension("") };
    let mut module = Module {
        file: file.strip_prefix(root).map(Path::to_path_buf).unwrap_or(file.clone()),
        path: path.clone(),
        is_dir_module,
        imports: HashMap::new(),
        children: BTreeSet::new(),
        uses: Vec::new(),
        lines: text.lines().count(),
    };
    let mut children = Vec::new();
    for item in &parsed.items {
        match item {
            syn::Item::Mod(m) if !is_test_only(&m.attrs) => {
                assert!(m.content.is_none(), "{}: inline module {} (give it a file)", file.display(), m.ident);
                let name = m.ident.to_string();
                let single = dir.join(format!("{name}.rs"));
                let (child, child_is_dir) =
                    if single.exists() { (single, false) } else { (dir.join(&name).join("mod.rs"), true) };
                module.children.insert(name.clone());
                children.push((child, name, child_is_dir));
            }
            syn::Item::Use(u) if !is_test_only(&u.attrs) => {
                let mut flat = Vec::new();
                flatten(&u.tree, &mut Vec::new(), &mut flat);
                let reexport = !matches!(u.vis, syn::Visibility::Inherited);
                for (name, segments) in flat {
                    module.uses.push(Reference { segments: segments.clone(), reexport });
                    if name != "*" {
                        module.imports.insert(name, Some(segments));
                    }
                }
            }
            _ => {}
        }
    }
    Collector { uses: &mut module.uses }.visit_file(&parsed);
    out.push(module);
    for (child, name, child_is_dir) in children {
        let mut child_path = path.clone();
        child_path.push(name);
        load(root, child, child_path, child_is_dir, out);
    }
}

struct Crate {
    modules: Vec<Module>,
    by_path: HashMap<Vec<String>, usize>,
}

impl Crate {
    fn read() -> Crate {
        Crate::read_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
    }

    fn read_from(root: &Path) -> Crate {
        let mut modules = Vec::new();
        load(root, root.join("lib.rs"), Vec::new(), true, &mut modules);
        let by_path = modules.iter().enumerate().map(|(i, m)| (m.path.clone(), i)).collect();
        Crate { modules, by_path }
    }

    /// `segments` as written in module `at`, made absolute; `None` for an
    /// external crate's path or a local name.
    fn absolute(&self, at: usize, segments: &[String]) -> Option<Vec<String>> {
        let module = &self.modules[at];
        let first = segments.first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.path.clone(),
            "super" => {
                let mut p = module.path.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    p.pop()?;
                    rest = &rest[1..];
                }
                p.extend(rest.iter().cloned());
                return Some(p);
            }
            name if module.children.contains(name) => {
                let mut p = module.path.clone();
                p.push(name.to_owned());
                p.extend(segments[1..].iter().cloned());
                return Some(p);
            }
            name => {
                let imported = module.imports.get(name)?.as_ref()?;
                if imported.as_slice() == segments {
                    return None;
                }
                let mut p = self.absolute(at, imported)?;
                p.extend(segments[1..].iter().cloned());
                return Some(p);
            }
        };
        base.extend(segments[1..].iter().cloned());
        Some(base)
    }

    /// The file an absolute path lands in, following imports.
    fn target(&self, absolute: &[String], depth: usize) -> Option<usize> {
        let (mut at, mut len) = (self.by_path[&Vec::new()], 0);
        for n in 1..=absolute.len() {
            match self.by_path.get(&absolute[..n]) {
                Some(&i) => (at, len) = (i, n),
                None => break,
            }
        }
        if let Some(name) = absolute.get(len) {
            if depth < 16 {
                if let Some(Some(imported)) = self.modules[at].imports.get(name) {
                    let mut next = self.absolute(at, imported)?;
                    next.extend(absolute[len + 1..].iter().cloned());
                    return self.target(&next, depth + 1);
                }
            }
        }
        Some(at)
    }

    fn is_descendant(&self, of: usize, m: usize) -> bool {
        let (a, b) = (&self.modules[of].path, &self.modules[m].path);
        b.len() > a.len() && b.starts_with(a)
    }

    /// File-level dependency edges.
    fn edges(&self) -> BTreeMap<usize, BTreeSet<usize>> {
        let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (i, module) in self.modules.iter().enumerate() {
            let out = edges.entry(i).or_default();
            for reference in &module.uses {
                let Some(absolute) = self.absolute(i, &reference.segments) else { continue };
                let Some(target) = self.target(&absolute, 0) else { continue };
                if target == i || (module.is_dir_module && reference.reexport && self.is_descendant(i, target)) {
                    continue;
                }
                out.insert(target);
            }
        }
        edges
    }

    fn name(&self, i: usize) -> String {
        self.modules[i].file.display().to_string()
    }
}

/// Strongly connected components with more than one node (Tarjan).
fn cycles(nodes: usize, edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in s.edges.get(&v).into_iter().flatten() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: vec![None; nodes],
        low: vec![0; nodes],
        on_stack: vec![false; nodes],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..nodes {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_file_imports_another_that_imports_it_back() {
    let krate = Crate::read();
    let edges = krate.edges();
    let found = cycles(krate.modules.len(), &edges);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let members: BTreeSet<usize> = c.iter().copied().collect();
            c.iter()
                .map(|&i| {
                    let into: Vec<String> =
                        edges[&i].iter().filter(|t| members.contains(t)).map(|&t| krate.name(t)).collect();
                    format!("  {} -> {}", krate.name(i), into.join(", "))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    assert!(found.is_empty(), "import cycles among the core's files:\n{}", described.join("\n\n"));
}

#[test]
fn top_level_modules_depend_one_way() {
    let krate = Crate::read();
    let edges = krate.edges();
    // each file stands for its top-level module; lib.rs is left out
    let mut names: Vec<String> = krate.modules.iter().filter_map(|m| m.path.first().cloned()).collect();
    names.sort();
    names.dedup();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let top = |i: usize| krate.modules[i].path.first().map(|n| index[n.as_str()]);
    let mut folded: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut why: BTreeMap<(usize, usize), (usize, usize)> = BTreeMap::new();
    for (&from, targets) in &edges {
        let Some(a) = top(from) else { continue };
        for &to in targets {
            let Some(b) = top(to) else { continue };
            if a != b {
                folded.entry(a).or_default().insert(b);
                why.entry((a, b)).or_insert((from, to));
            }
        }
    }
    let found = cycles(names.len(), &folded);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let members: BTreeSet<usize> = c.iter().copied().collect();
            let mut lines = Vec::new();
            for &a in c {
                for &b in folded[&a].iter().filter(|b| members.contains(b)) {
                    let (f, t) = why[&(a, b)];
                    lines.push(format!("  {} -> {} ({} uses {})", names[a], names[b], krate.name(f), krate.name(t)));
                }
            }
            lines.join("\n")
        })
        .collect();
    assert!(found.is_empty(), "top-level modules that depend on each other:\n{}", described.join("\n\n"));
}

#[test]
fn no_file_holds_more_than_a_reader_takes_in() {
    let krate = Crate::read();
    let long: Vec<String> = krate
        .modules
        .iter()
        .filter(|m| m.lines > MAX_LINES)
        .map(|m| format!("  {}: {} lines", m.file.display(), m.lines))
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines (split them by job):\n{}", long.join("\n"));
}

/// The cycles [`Crate::read_from`] finds in a crate made of `files`.
fn cycles_in(files: &[(&str, &str)]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
        fs::write(path, text).expect("a file");
    }
    let krate = Crate::read_from(dir.path());
    let found = cycles(krate.modules.len(), &krate.edges());
    found.iter().map(|c| c.iter().map(|&i| krate.name(i)).collect()).collect()
}

#[test]
fn the_checker_sees_cycles_through_paths_re_exports_and_macros_but_not_tests() {
    let lib = "mod a; mod b; mod c; mod d; pub use c::Thing;";
    // through plain paths and a use
    let found = cycles_in(&[
        ("lib.rs", lib),
        ("a.rs", "use crate::b::B; pub fn g() {}"),
        ("b.rs", "pub struct B; fn f() { crate::a::g(); }"),
        ("c.rs", "pub struct Thing;"),
        ("d.rs", ""),
    ]);
    assert_eq!(found, vec![vec!["a.rs".to_owned(), "b.rs".to_owned()]]);
    // through lib.rs' re-export, and a path inside a macro's tokens
    let found = cycles_in(&[
        ("lib.rs", lib),
        ("a.rs", ""),
        ("b.rs", ""),
        ("c.rs", "pub struct Thing; fn h() { println!(\"{}\", crate::d::X); }"),
        ("d.rs", "pub const X: u8 = 1; fn k(_: crate::Thing) {}"),
    ]);
    assert_eq!(found, vec![vec!["c.rs".to_owned(), "d.rs".to_owned()]]);
    // a folder: children using their mod.rs, which declares and re-exports
    // them, is no cycle; test code is not read
    let found = cycles_in(&[
        ("lib.rs", "mod s;"),
        ("s/mod.rs", "mod p; mod q; pub use p::P; pub trait Source {}"),
        ("s/p.rs", "pub struct P; impl super::Source for P {} #[cfg(test)] mod tests { use super::super::q::Q; }"),
        ("s/q.rs", "pub struct Q; fn f(_: super::P) {}"),
    ]);
    assert!(found.is_empty(), "{found:?}");
    // but a mod.rs whose code uses a child that uses it back is one
    let found = cycles_in(&[
        ("lib.rs", "mod s;"),
        ("s/mod.rs", "mod p; pub trait Source {} fn all() -> p::P { p::P }"),
        ("s/p.rs", "pub struct P; impl super::Source for P {}"),
    ]);
    assert_eq!(found, vec![vec!["s/mod.rs".to_owned(), "s/p.rs".to_owned()]]);
}
