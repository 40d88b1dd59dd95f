/**
 * `key-source`: the key given to a keyed lock's acquire and release comes from one place.
 *
 * A keyed lock (`locks.acquire(key)` … `locks.release(key)`) is only released when both sides build
 * exactly the same key. When each call site formats its own key (`${ns}/${name}`), the two formats
 * drift apart and the release frees nothing: the Argo Workflows deadlock described in
 * docs/rules/key-source.md. So a key must not be formatted at the call site; it comes from a
 * variable or a function that acquire and release share. Within one function, a release whose key
 * differs from every key it acquired that lock with is reported too.
 *
 * Silent on calls it cannot tie to a declared `keyed` lock, and on keys it cannot read.
 */
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import { MESSAGES, type MessageId } from "../core/messages.js";
import { perPolicy, type DeclaredLock, type Policy } from "../core/policy.js";
import { createRule } from "./lib/create-rule.js";
import { functionNameOf } from "./lib/function-names.js";
import { policyFor } from "./lib/policy.js";
import { lockEnvFor, resolveLockCall } from "./lib/resolve-lock.js";

export type KeySourceMessageId = MessageId<"key-source">;

type Context = Readonly<TSESLint.RuleContext<KeySourceMessageId, []>>;

/** `key as string`, `key!`, `<string>key`, `key satisfies string` are the key itself. */
function unwrap(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  while (
    current.type === AST_NODE_TYPES.TSAsExpression ||
    current.type === AST_NODE_TYPES.TSNonNullExpression ||
    current.type === AST_NODE_TYPES.TSTypeAssertion ||
    current.type === AST_NODE_TYPES.TSSatisfiesExpression
  ) {
    current = current.expression;
  }
  return current;
}

function methodNameOf(member: TSESTree.MemberExpression): string | undefined {
  if (!member.computed && member.property.type === AST_NODE_TYPES.Identifier) return member.property.name;
  if (member.computed && member.property.type === AST_NODE_TYPES.Literal && typeof member.property.value === "string") return member.property.value;
  return undefined;
}

function isStringLiteral(node: TSESTree.Node): boolean {
  const inner = unwrap(node);
  return (inner.type === AST_NODE_TYPES.Literal && typeof inner.value === "string") || inner.type === AST_NODE_TYPES.TemplateLiteral;
}

/** Whether `identifier` is bound by `import … from "util"` / `"node:util"` (directly or as a namespace). */
function isImportedFromUtil(context: Context, identifier: TSESTree.Identifier): boolean {
  const scope = context.sourceCode.getScope(identifier);
  for (let current: typeof scope | null = scope; current; current = current.upper) {
    const variable = current.set.get(identifier.name);
    if (!variable) continue;
    return variable.defs.some(
      (def) =>
        def.type === "ImportBinding" &&
        def.parent.type === AST_NODE_TYPES.ImportDeclaration &&
        (def.parent.source.value === "util" || def.parent.source.value === "node:util"),
    );
  }
  return false;
}

interface TypeCheck {
  /** True/false when type information answers; undefined without it. */
  isArray(node: TSESTree.Node): boolean | undefined;
  isString(node: TSESTree.Node): boolean | undefined;
}

function typeCheckOf(context: Context): TypeCheck {
  // Read the parser services directly: ESLintUtils.getParserServices throws under a non-TypeScript parser (espree on .js).
  const services = context.sourceCode.parserServices;
  const program = services?.program;
  const nodeMap = services?.esTreeNodeToTSNodeMap;
  if (!program || !nodeMap) return { isArray: () => undefined, isString: () => undefined };
  const checker = program.getTypeChecker();
  const typeOf = (node: TSESTree.Node) => {
    try {
      const tsNode = nodeMap.get(node);
      return tsNode ? checker.getTypeAtLocation(tsNode) : undefined;
    } catch {
      return undefined; // a node the type checker has no answer for: act as if untyped
    }
  };
  return {
    isArray(node) {
      const type = typeOf(node);
      return type === undefined ? undefined : checker.isArrayType(type) || checker.isTupleType(type);
    },
    isString(node) {
      const type = typeOf(node);
      // Compared with the checker's own string type, not by TypeFlags: their values changed in TypeScript 6.
      return type === undefined ? undefined : checker.getBaseTypeOfLiteralType(type) === checker.getStringType();
    },
  };
}

/**
 * How the key is formatted at the call site, or undefined when it is a plain reference (a variable,
 * a property, a call of some function) or something this rule does not recognize.
 */
export function keyFormatting(key: TSESTree.Node, context: Context, types: () => TypeCheck): string | undefined {
  const node = unwrap(key);
  switch (node.type) {
    case AST_NODE_TYPES.TemplateLiteral:
      return node.expressions.length > 0 ? "a template literal" : undefined;
    case AST_NODE_TYPES.TaggedTemplateExpression:
      // String.raw`${ns}/${name}` formats just like a template literal.
      return node.quasi.expressions.length > 0 &&
        node.tag.type === AST_NODE_TYPES.MemberExpression &&
        node.tag.object.type === AST_NODE_TYPES.Identifier &&
        node.tag.object.name === "String" &&
        methodNameOf(node.tag) === "raw"
        ? "String.raw"
        : undefined;
    case AST_NODE_TYPES.BinaryExpression:
      // Whatever the operand types, a key computed with `+` at the call site is built here.
      return node.operator === "+" ? "concatenation with `+`" : undefined;
    case AST_NODE_TYPES.CallExpression: {
      const callee = unwrap(node.callee);
      if (callee.type === AST_NODE_TYPES.Identifier) {
        return callee.name === "format" && isImportedFromUtil(context, callee) ? "util.format()" : undefined;
      }
      if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
      const method = methodNameOf(callee);
      const receiver = unwrap(callee.object);
      if (method === "join") {
        // Array.prototype.join: an array literal, a lone separator string, or an array by type.
        // (`path.join(a, b)` and other `join`s with several arguments are left alone.)
        if (receiver.type === AST_NODE_TYPES.ArrayExpression) return "`[…].join()`";
        if (node.arguments.length === 1 && isStringLiteral(node.arguments[0])) return "`.join()`";
        if (node.arguments.length === 0 && types().isArray(receiver) === true) return "`.join()`";
        return undefined;
      }
      if (method === "concat") {
        if (isStringLiteral(receiver) || node.arguments.some(isStringLiteral) || types().isString(receiver) === true) return "`String.prototype.concat()`";
        return undefined;
      }
      if (method === "format" && receiver.type === AST_NODE_TYPES.Identifier && (receiver.name === "util" || isImportedFromUtil(context, receiver))) {
        return "util.format()";
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Key source text without whitespace or comments, so `keyOf( wf )` and `keyOf(wf)` compare equal. */
function keyText(context: Context, key: TSESTree.Node): string {
  return context.sourceCode
    .getTokens(unwrap(key))
    .map((token) => token.value)
    .join("");
}

/** Acquire and release are paired within the nearest named function (anonymous callbacks belong to it). */
function owningFunction(node: TSESTree.Node): TSESTree.Node {
  for (let current = node.parent; current; current = current.parent) {
    if (
      (current.type === AST_NODE_TYPES.FunctionDeclaration ||
        current.type === AST_NODE_TYPES.FunctionExpression ||
        current.type === AST_NODE_TYPES.ArrowFunctionExpression) &&
      functionNameOf(current)
    ) {
      return current;
    }
    if (current.type === AST_NODE_TYPES.Program) return current;
  }
  return node;
}

/** Whether lock-order.json declares a keyed lock (most declare none, and the rule then does nothing). */
const hasKeyedLock = perPolicy((policy): boolean => policy.locks.some((lock) => lock.kind === "keyed"));

interface KeyUse {
  node: TSESTree.CallExpression;
  lock: DeclaredLock;
  method: string;
  text: string;
}

export default createRule<[], KeySourceMessageId>({
  name: "key-source",
  meta: {
    type: "problem",
    docs: {
      description: "Require the key of a keyed lock to come from one variable or function shared by acquire and release, not formatted at the call",
      recommended: "error",
    },
    schema: [],
    messages: MESSAGES["key-source"],
  },
  defaultOptions: [],
  create(context) {
    const policy = policyFor(context);
    if (!policy || !hasKeyedLock(policy)) return {};
    const env = lockEnvFor(context, policy);
    let typeCheck: TypeCheck | undefined;
    const types = () => (typeCheck ??= typeCheckOf(context));
    const acquires = new Map<TSESTree.Node, KeyUse[]>();
    const releases = new Map<TSESTree.Node, KeyUse[]>();

    return {
      CallExpression(node) {
        const lockCall = resolveLockCall(node, env);
        if (!lockCall || lockCall.lock.kind !== "keyed" || !lockCall.keyNode) return;
        const { lock, method, action, keyNode: key } = lockCall;

        const form = keyFormatting(key, context, types);
        if (form) {
          context.report({ node, messageId: "formattedKey", data: { id: lock.id, method, form } });
          return;
        }
        const use: KeyUse = { node, lock, method, text: keyText(context, key) };
        const into = action === "release" ? releases : acquires;
        const owner = owningFunction(node);
        const list = into.get(owner);
        if (list) list.push(use);
        else into.set(owner, [use]);
      },
      "Program:exit"() {
        for (const [owner, released] of releases) {
          const acquired = acquires.get(owner) ?? [];
          for (const release of released) {
            const sameLock = acquired.filter((use) => use.lock === release.lock);
            if (sameLock.length === 0 || sameLock.some((use) => use.text === release.text)) continue;
            context.report({
              node: release.node,
              messageId: "keyMismatch",
              data: {
                id: release.lock.id,
                method: release.method,
                key: release.text,
                acquired: [...new Set(sameLock.map((use) => `\`${use.text}\``))].join(", "),
              },
            });
          }
        }
      },
    };
  },
});
