/**
 * Keys of keyed locks across calls (lock-audit's summaries).
 *
 * A callee's key written in terms of its own parameters (`accountKey(id)`, `id` its parameter 0) is a
 * template (`accountKey($0)`); a call site puts the caller's argument texts in (`this.debit(other)` →
 * `accountKey(other)`), and the result is compared with the keys the caller holds as keys taken in
 * one function are. The templates are read from the syntax, identifier by identifier (never inside a
 * string, never a property name after a dot), and only for the shapes below; anything else (a local,
 * `this`, a field) has no template, so the key stays unknown.
 *
 * Reads SyntaxKind from the `ts` it is handed (see core/lowering.ts).
 */
import type * as TS from "typescript";

/** What this module reads from the `ts` namespace of its caller (the lowering's plain copy includes them). */
export const KEY_TEMPLATE_MEMBERS = [
  "SyntaxKind",
  "forEachChild",
  "isArrayLiteralExpression",
  "isBinaryExpression",
  "isBindingElement",
  "isCallExpression",
  "isCatchClause",
  "isClassDeclaration",
  "isClassExpression",
  "isEnumDeclaration",
  "isFunctionDeclaration",
  "isFunctionExpression",
  "isFunctionLike",
  "isIdentifier",
  "isImportDeclaration",
  "isNamespaceImport",
  "isNoSubstitutionTemplateLiteral",
  "isNumericLiteral",
  "isObjectLiteralExpression",
  "isOmittedExpression",
  "isParameter",
  "isParenthesizedExpression",
  "isPostfixUnaryExpression",
  "isPrefixUnaryExpression",
  "isPropertyAccessExpression",
  "isPropertyAssignment",
  "isShorthandPropertyAssignment",
  "isSpreadAssignment",
  "isSpreadElement",
  "isStringLiteral",
  "isTemplateExpression",
  "isVariableDeclaration",
  "isVariableStatement",
] as const;

type KeyTemplateTypeScript = Pick<typeof TS, (typeof KEY_TEMPLATE_MEMBERS)[number]>;

/** A slot of a template: the function's parameter `parameter`, written `name` there. */
export interface KeyParameter {
  readonly parameter: number;
  readonly name: string;
  /** Written where any expression may stand without parentheses (an argument, a `${…}`). */
  readonly bare?: true;
}

export interface KeyTemplate {
  /** Source text, with the parameter slots cut out. */
  readonly parts: readonly (string | KeyParameter)[];
  /**
   * Set when the text names a declaration of its module (`accountKey`): the text means the same only
   * in that file, so a call from another file puts no key in.
   */
  readonly file?: string;
  /** An identifier, a property access or a call: needs no parentheses inside a larger expression. */
  readonly simple: boolean;
}

/** What a call passes for each parameter, as templates in the caller's own parameters (null: not expressible). */
export interface KeyArguments {
  readonly file: string;
  readonly values: readonly (KeyTemplate | null)[];
}

/** The template's source text (the function's own parameter names in the slots). */
export function keyTemplateText(template: KeyTemplate): string {
  let text = "";
  for (const part of template.parts) text += typeof part === "string" ? part : part.name;
  return text;
}

/**
 * A callee's template at a call: each slot replaced by the argument's template (parenthesized where it
 * lands inside a larger expression and is not simple). Undefined when an argument is missing or not
 * expressible, or the template names its module's declarations and the call is in another file.
 */
export function substituteKeyTemplate(template: KeyTemplate, args: KeyArguments | undefined): KeyTemplate | undefined {
  if (template.file !== undefined && template.file !== args?.file) return undefined;
  const slots = template.parts.filter((part) => typeof part !== "string").length;
  if (slots === 0) return template;
  if (!args) return undefined;
  const parts: (string | KeyParameter)[] = [];
  let file = template.file;
  for (const part of template.parts) {
    if (typeof part === "string") {
      parts.push(part);
      continue;
    }
    const value = args.values[part.parameter];
    if (!value) return undefined;
    if (value.file !== undefined) {
      if (file !== undefined && file !== value.file) return undefined;
      file = value.file;
    }
    const wrap = !value.simple && !part.bare && template.parts.length > 1;
    if (wrap) parts.push("(");
    parts.push(...value.parts);
    if (wrap) parts.push(")");
  }
  // A template that is one parameter is as simple as what the call passes for it.
  const only = template.parts.length === 1 ? args.values[(template.parts[0] as KeyParameter).parameter] : undefined;
  return { parts: mergeText(parts), simple: only ? only.simple : template.simple, ...(file === undefined ? {} : { file }) };
}

function mergeText(parts: readonly (string | KeyParameter)[]): (string | KeyParameter)[] {
  const merged: (string | KeyParameter)[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === "string" && typeof last === "string") merged[merged.length - 1] = last + part;
    else if (part !== "") merged.push(part);
  }
  return merged;
}

/**
 * The template of a key expression, or undefined. `parameters`: the names that are the function's
 * parameters at this point (none re-declared or assigned in it); `moduleNames`: declarations at the
 * top of the file. Identifiers must be one or the other; the forms read are literals, identifiers,
 * property accesses, calls, templates, binary operators and parentheses.
 */
export function keyTemplateOf(
  ts: KeyTemplateTypeScript,
  expression: TS.Expression,
  sourceFile: TS.SourceFile,
  parameters: ReadonlyMap<string, number>,
  moduleNames: ReadonlySet<string>,
): KeyTemplate | undefined {
  const text = sourceFile.text;
  const start = expression.getStart(sourceFile);
  const parts: (string | KeyParameter)[] = [];
  let at = start;
  let namesModule = false;
  const visit = (node: TS.Node, bare = false): boolean => {
    if (ts.isIdentifier(node)) {
      const parameter = parameters.get(node.text);
      if (parameter !== undefined) {
        const from = node.getStart(sourceFile);
        parts.push(text.slice(at, from), bare ? { parameter, name: node.text, bare } : { parameter, name: node.text });
        at = node.end;
        return true;
      }
      if (!moduleNames.has(node.text)) return false;
      namesModule = true;
      return true;
    }
    if (ts.isStringLiteral(node) || ts.isNumericLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return true;
    if (ts.isParenthesizedExpression(node)) return visit(node.expression, true);
    // The name after the dot is a property, not a variable.
    if (ts.isPropertyAccessExpression(node)) return node.questionDotToken === undefined && visit(node.expression);
    if (ts.isCallExpression(node)) return node.questionDotToken === undefined && node.typeArguments === undefined && visit(node.expression) && node.arguments.every((argument) => visit(argument, true));
    if (ts.isTemplateExpression(node)) return node.templateSpans.every((span) => visit(span.expression, true));
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind;
      return operator === ts.SyntaxKind.PlusToken && visit(node.left) && visit(node.right);
    }
    return false;
  };
  if (!visit(expression, true)) return undefined;
  parts.push(text.slice(at, expression.end));
  const inner = skipParentheses(ts, expression);
  const simple = ts.isIdentifier(inner) || ts.isPropertyAccessExpression(inner) || ts.isCallExpression(inner) || ts.isStringLiteral(inner) || ts.isNumericLiteral(inner) || ts.isNoSubstitutionTemplateLiteral(inner) || ts.isTemplateExpression(inner);
  return { parts: mergeText(parts), simple, ...(namesModule ? { file: sourceFile.fileName } : {}) };
}

function skipParentheses(ts: KeyTemplateTypeScript, node: TS.Expression): TS.Expression {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
}

/**
 * The names a key of this unit may use: its parameters whose name means the parameter wherever it
 * appears in the unit, and the module's declarations that nothing in between hides. A name declared
 * again inside the unit (a callback's parameter, a local, a catch variable) or assigned there is
 * neither, so an identifier of that name in a key is never taken for the parameter; a unit inside
 * another function may see that function's locals, so it uses no module names.
 */
export function keyNames(
  ts: KeyTemplateTypeScript,
  fn: TS.FunctionLikeDeclaration,
  parameters: ReadonlyMap<string, number>,
  moduleNames: ReadonlySet<string>,
): { readonly parameters: ReadonlyMap<string, number>; readonly moduleNames: ReadonlySet<string> } {
  const unstable = new Set<string>();
  const bindingNames = (name: TS.BindingName): void => addBindingNames(ts, name, unstable);
  const visit = (node: TS.Node): void => {
    if (ts.isVariableDeclaration(node) || ts.isBindingElement(node)) bindingNames(node.name);
    else if (ts.isCatchClause(node) && node.variableDeclaration) bindingNames(node.variableDeclaration.name);
    else if (ts.isParameter(node) && node.parent !== fn) bindingNames(node.name);
    else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) unstable.add(node.name.text);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      // `id = …`, `[id] = …`, `({ id } = …)`: any identifier on the left may be rebound.
      const mark = (target: TS.Node): void => {
        if (ts.isIdentifier(target)) unstable.add(target.text);
        else if (ts.isArrayLiteralExpression(target) || ts.isObjectLiteralExpression(target) || ts.isShorthandPropertyAssignment(target) || ts.isPropertyAssignment(target) || ts.isSpreadElement(target) || ts.isSpreadAssignment(target) || ts.isParenthesizedExpression(target)) ts.forEachChild(target, mark);
      };
      mark(node.left);
    } else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && ts.isIdentifier(node.operand)) unstable.add(node.operand.text);
    ts.forEachChild(node, visit);
  };
  if (fn.body) visit(fn.body);
  for (const parameter of fn.parameters) if (parameter.initializer) visit(parameter.initializer);
  // The unit's own parameters hide the module's names as well.
  const hidden = new Set(unstable);
  for (const parameter of fn.parameters) addBindingNames(ts, parameter.name, hidden);
  let nested = false;
  for (let node: TS.Node | undefined = fn.parent; node && !nested; node = node.parent) nested = ts.isFunctionLike(node);
  return {
    parameters: new Map([...parameters].filter(([name]) => !unstable.has(name))),
    moduleNames: nested ? new Set() : new Set([...moduleNames].filter((name) => !hidden.has(name))),
  };
}

const moduleNamesOfFile = new WeakMap<TS.SourceFile, ReadonlySet<string>>();

/** The names a source file declares at its top (functions, classes, variables, enums, imports); read once per file. */
export function moduleDeclarationNames(ts: KeyTemplateTypeScript, sourceFile: TS.SourceFile): ReadonlySet<string> {
  let names = moduleNamesOfFile.get(sourceFile);
  if (!names) {
    names = readModuleNames(ts, sourceFile);
    moduleNamesOfFile.set(sourceFile, names);
  }
  return names;
}

function readModuleNames(ts: KeyTemplateTypeScript, sourceFile: TS.SourceFile): ReadonlySet<string> {
  const names = new Set<string>();
  const bindingNames = (name: TS.BindingName): void => addBindingNames(ts, name, names);
  for (const statement of sourceFile.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name) names.add(statement.name.text);
    else if (ts.isVariableStatement(statement)) for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name);
    else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings) for (const element of bindings.elements) names.add(element.name.text);
    }
  }
  return names;
}

/** The names a binding declares (`id`, `{ a, b: [c] }`). */
function addBindingNames(ts: KeyTemplateTypeScript, name: TS.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBindingNames(ts, element.name, into);
}
