/**
 * Key templates (core/key-template.ts): a key read as a template in the function's parameters, and a
 * call's arguments put into it, identifier by identifier, with real TypeScript syntax trees.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { keyNames, keyTemplateOf, keyTemplateText, moduleDeclarationNames, substituteKeyTemplate, type KeyArguments, type KeyTemplate } from "../../core/key-template.js";

/** The template of the first argument of the first `take(…)` call in `source`'s function `f`. */
function templateIn(source: string, fileName = "/src/a.ts"): KeyTemplate | undefined {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const fn = file.statements.find((statement): statement is ts.FunctionDeclaration => ts.isFunctionDeclaration(statement) && statement.name?.text === "f");
  if (!fn) throw new Error("no function f");
  let key: ts.Expression | undefined;
  const find = (node: ts.Node): void => {
    if (!key && ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "take") key = node.arguments[0];
    ts.forEachChild(node, find);
  };
  find(fn);
  if (!key) throw new Error("no take(…)");
  const parameters = new Map(fn.parameters.map((parameter, index) => [(parameter.name as ts.Identifier).text, index] as const));
  const names = keyNames(ts, fn, parameters, moduleDeclarationNames(ts, file));
  return keyTemplateOf(ts, key, file, names.parameters, names.moduleNames);
}

const slots = (template: KeyTemplate | undefined): unknown[] | undefined => template?.parts.map((part) => (typeof part === "string" ? part : `$${part.parameter}`));

function argumentsOf(...texts: (string | null)[]): KeyArguments {
  return {
    file: "/src/a.ts",
    values: texts.map((text) => (text === null ? null : { parts: [text], simple: /^[\w.]+(\(.*\))?$/.test(text) })),
  };
}

describe("keyTemplateOf", () => {
  it("cuts the parameters out of the key's text", () => {
    expect(slots(templateIn("function f(id: string) { take(id) }"))).toEqual(["$0"]);
    expect(slots(templateIn("function f(a: string, id: string) { take(`account:${id}:${a}`) }"))).toEqual(["`account:${", "$1", "}:${", "$0", "}`"]);
    expect(slots(templateIn("function f(a: string, b: string) { take(a + ':' + b) }"))).toEqual(["$0", " + ':' + ", "$1"]);
  });

  it("leaves strings and property names alone", () => {
    expect(slots(templateIn("function f(id: string) { take('id' + id) }"))).toEqual(["'id' + ", "$0"]);
    expect(slots(templateIn("function f(id: string, o: { id: string }) { take(o.id) }"))).toEqual(["$1", ".id"]);
    expect(slots(templateIn("function f(id: string) { take(`id`) }"))).toEqual(["`id`"]);
  });

  it("takes module declarations as written, in their file only", () => {
    const template = templateIn("function accountKey(id: string) { return id }\nfunction f(id: string) { take(accountKey(id)) }");
    expect(slots(template)).toEqual(["accountKey(", "$0", ")"]);
    expect(template?.file).toBe("/src/a.ts");
    expect(templateIn("function f(id: string) { take(id) }")?.file).toBeUndefined();
  });

  it("has no template for locals, fields, `this`, unknown names and other forms", () => {
    expect(templateIn("function f(id: string) { const key = id; take(key) }")).toBeUndefined();
    expect(templateIn("function f(id: string) { take(this.id) }")).toBeUndefined();
    expect(templateIn("function f(id: string) { take(globalKey(id)) }")).toBeUndefined();
    expect(templateIn("function f(id: string) { take(id ?? 'x') }")).toBeUndefined();
    expect(templateIn("function f(id: string) { take(id?.trim()) }")).toBeUndefined();
  });

  it("does not take a name re-declared or assigned in the function for the parameter", () => {
    expect(templateIn("function f(id: string, ids: string[]) { ids.map((id) => take(id)) }")).toBeUndefined();
    expect(templateIn("function f(id: string) { id = id.trim(); take(id) }")).toBeUndefined();
    expect(templateIn("function f(id: string) { try {} catch (id) {} take(id) }")).toBeUndefined();
    // A local hides the module's function of that name.
    expect(templateIn("function accountKey(id: string) { return id }\nfunction f(id: string) { const accountKey = (x: string) => x; take(accountKey(id)) }")).toBeUndefined();
  });
});

describe("substituteKeyTemplate", () => {
  const accountKey = templateIn("function accountKey(id: string) { return id }\nfunction f(id: string) { take(accountKey(id)) }")!;

  it("puts the call's argument texts in", () => {
    expect(keyTemplateText(substituteKeyTemplate(accountKey, argumentsOf("other"))!)).toBe("accountKey(other)");
    expect(keyTemplateText(substituteKeyTemplate(accountKey, argumentsOf("a.b(c)"))!)).toBe("accountKey(a.b(c))");
  });

  it("parenthesizes an argument that is not simple where it lands inside a larger expression", () => {
    const joined = templateIn("function f(a: string) { take(a + ':x') }")!;
    expect(keyTemplateText(substituteKeyTemplate(joined, argumentsOf("p ? q : r"))!)).toBe("(p ? q : r) + ':x'");
    expect(keyTemplateText(substituteKeyTemplate(joined, argumentsOf("p"))!)).toBe("p + ':x'");
    // As an argument of a call it needs none.
    expect(keyTemplateText(substituteKeyTemplate(accountKey, argumentsOf("p ? q : r"))!)).toBe("accountKey(p ? q : r)");
  });

  it("has no key when an argument is missing or not expressible, or the template's names are another file's", () => {
    expect(substituteKeyTemplate(accountKey, argumentsOf(null))).toBeUndefined();
    expect(substituteKeyTemplate(accountKey, { file: "/src/a.ts", values: [] })).toBeUndefined();
    expect(substituteKeyTemplate(accountKey, undefined)).toBeUndefined();
    expect(substituteKeyTemplate(accountKey, { ...argumentsOf("other"), file: "/src/b.ts" })).toBeUndefined();
  });

  it("keeps a constant key as it is, in any file", () => {
    const constant = templateIn("function f() { take('audit') }")!;
    expect(keyTemplateText(substituteKeyTemplate(constant, undefined)!)).toBe("'audit'");
  });

  it("chains: the argument's own parameters stay slots of the caller", () => {
    const caller = templateIn("function f(account: string) { take(account) }")!;
    const chained = substituteKeyTemplate(accountKey, { file: "/src/a.ts", values: [caller] })!;
    expect(slots(chained)).toEqual(["accountKey(", "$0", ")"]);
    expect(keyTemplateText(chained)).toBe("accountKey(account)");
  });
});
