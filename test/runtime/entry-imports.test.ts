// The runtime is what applications ship: its entry points must stay free of heavy dependencies. Follows
// the value imports (type-only imports are erased, as in the build) from each entry through the sources.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { expect, test } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");

/** Every module specifier a compiled file loads: static imports, re-exports and dynamic imports. */
function valueImports(file: string): string[] {
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const specifiers: string[] = [];
  for (const pattern of [/^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm, /^\s*import\s*["']([^"']+)["']/gm, /\bimport\(\s*["']([^"']+)["']\s*\)/g]) {
    for (const match of outputText.matchAll(pattern)) specifiers.push(match[1]);
  }
  return specifiers;
}

/** The repository files an entry reaches, and the packages and built-ins it loads. */
function graph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else external.add(specifier);
    }
  };
  visit(join(REPO, entry));
  return { files: [...files].map((file) => relative(REPO, file)).sort(), external: [...external].sort() };
}

test("the package root loads only runtime/, core/policy.ts and the recognition table it reads its default method names from: no package, no Node built-in", () => {
  const { files, external } = graph("runtime/index.ts");
  expect(external).toEqual([]);
  expect(files.filter((file) => !file.startsWith("runtime/"))).toEqual(["core/policy.ts", "core/recognition.ts"]);
  // The testing entry and the declaration writer are separate entries, never loaded by the root.
  expect(files).not.toContain("runtime/testing.ts");
  expect(files).not.toContain("runtime/write-lock-order-types.ts");
});

test("lock-discipline/testing adds only fast-check (an optional peer) and node:async_hooks", () => {
  const { files, external } = graph("runtime/testing.ts");
  expect(external).toEqual(["fast-check", "node:async_hooks"]);
  expect(files.filter((file) => !file.startsWith("runtime/"))).toEqual(["core/policy.ts", "core/recognition.ts"]);
});

test("package.json maps the root and ./testing to these entries", () => {
  const manifest = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { exports: Record<string, { default: string }> };
  expect(manifest.exports["."].default).toBe("./dist/runtime/index.js");
  expect(manifest.exports["./testing"].default).toBe("./dist/runtime/testing.js");
});
