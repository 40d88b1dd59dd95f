/**
 * `target`: a lock-order.json target that names nothing is caught where a file can show it. The
 * whole-program check is lock-audit's (a target no file declares is its configuration error); a lint
 * rule sees one file, so it reports what that file proves wrong:
 * - a `Class.member` target whose class is declared in the file without that field, at the class;
 * - a `Class.member` target whose class name is a near miss of a class of the file that has that
 *   field (`RumorStor.list` beside `class RumorStore { list }`): almost certainly a typo;
 * - a `path.ts#name` target that names the linted file, which has no such module-level variable;
 * - with typed linting, a `Class.member` target whose class the file uses but another file (or a
 *   declaration file) declares without that field, once, at the first use.
 * Without this, the lock never matches and every suffix token of it reads as "extra".
 */
import { dirname, relative } from "node:path";
import { AST_NODE_TYPES, type TSESLint, type TSESTree } from "@typescript-eslint/utils";
import type * as ts from "typescript";
import { MESSAGES, type MessageId } from "../core/messages.js";
import { closestNames, didYouMean } from "../core/names.js";
import { memberNameOf, normalizeModulePath, perPolicy, type DeclaredLock, type Policy } from "../core/policy.js";
import { createRule } from "./lib/create-rule.js";
import { policyFor } from "./lib/policy.js";

export type TargetMessageId = MessageId<"target">;

type ClassNode = TSESTree.ClassDeclaration | TSESTree.ClassExpression;

/** The fields that can hold a lock (properties, accessors, getters, constructor parameter properties), as lock-audit matches them. */
function fieldsOf(node: ClassNode): string[] {
  const fields: string[] = [];
  for (const member of node.body.body) {
    const isField =
      member.type === AST_NODE_TYPES.PropertyDefinition ||
      member.type === AST_NODE_TYPES.AccessorProperty ||
      (member.type === AST_NODE_TYPES.MethodDefinition && member.kind === "get");
    if (isField && !member.computed) {
      if (member.key.type === AST_NODE_TYPES.Identifier) fields.push(member.key.name);
      else if (member.key.type === AST_NODE_TYPES.PrivateIdentifier) fields.push(`#${member.key.name}`);
    }
    if (member.type === AST_NODE_TYPES.MethodDefinition && member.kind === "constructor") {
      for (const parameter of member.value.params) {
        if (parameter.type === AST_NODE_TYPES.TSParameterProperty && parameter.parameter.type === AST_NODE_TYPES.Identifier) fields.push(parameter.parameter.name);
      }
    }
  }
  return fields;
}

/** Symbol flags `Property` (1 << 2) and `GetAccessor` (1 << 15), read as numbers so the rule needs no runtime `typescript`. */
const FIELD_FLAGS = (1 << 2) | (1 << 15);
/** Symbol flag `Class` (1 << 5) and `Alias` (1 << 21). */
const CLASS_FLAG = 1 << 5;
const ALIAS_FLAG = 1 << 21;

/** The same for a class the type checker knows (typed linting): its own fields, `#private` ones unescaped. */
function checkerFieldsOf(classSymbol: ts.Symbol): string[] {
  const fields: string[] = [];
  classSymbol.members?.forEach((member) => {
    if (member.flags & FIELD_FLAGS) fields.push(member.getName().replace(/^__#\d+@/, ""));
  });
  return fields;
}

const moduleTargetsOf = perPolicy((policy): readonly DeclaredLock[] => policy.locks.filter((lock) => lock.parsedTarget.kind === "module"));

const memberTargets = perPolicy((policy): ReadonlyMap<string, readonly DeclaredLock[]> => {
  const byClass = new Map<string, DeclaredLock[]>();
  for (const lock of policy.locks) {
    if (lock.parsedTarget.kind !== "member") continue;
    const list = byClass.get(lock.parsedTarget.className) ?? [];
    list.push(lock);
    byClass.set(lock.parsedTarget.className, list);
  }
  return byClass;
});

function fieldName(lock: DeclaredLock): string {
  const target = lock.parsedTarget;
  return target.kind === "member" ? memberNameOf(target) : "";
}

/** Where lock-order.json is, for messages (a policy embedded without a path says `lock-order.json`). */
function orderFile(policy: Policy): string {
  return policy.file.startsWith("<") ? "lock-order.json" : policy.file;
}

export default createRule<[], TargetMessageId>({
  name: "target",
  meta: {
    type: "problem",
    docs: {
      description: "Require every lock-order.json target that names a class or module of this file to name a field or variable it declares",
      recommended: "error",
    },
    messages: MESSAGES.target,
    schema: [],
  },
  defaultOptions: [],
  create(context) {
    const policy = policyFor(context);
    if (!policy) return {};
    const byClass = memberTargets(policy);
    const file = orderFile(policy);

    function reportFields(node: TSESTree.Node, className: string, fields: readonly string[]): void {
      for (const lock of byClass.get(className) ?? []) {
        const field = fieldName(lock);
        if (fields.includes(field)) continue;
        const suggestion = didYouMean(closestNames(field, fields).map((name) => `${className}.${name}`));
        context.report({
          node,
          messageId: "noSuchField",
          data: { id: lock.id, target: lock.target, className, field, fields: fields.length ? `its fields: ${fields.join(", ")}` : "it has no fields", suggestion, file },
        });
      }
    }

    function checkClass(node: ClassNode): void {
      if (!node.id) return;
      const name = node.id.name;
      if (byClass.has(name)) {
        reportFields(node.id, name, fieldsOf(node));
        return;
      }
      let fields: string[] | undefined;
      for (const [written, locks] of byClass) {
        if (closestNames(written, [name]).length === 0) continue;
        fields ??= fieldsOf(node);
        for (const lock of locks) {
          const field = fieldName(lock);
          if (!fields.includes(field)) continue;
          context.report({
            node: node.id,
            messageId: "similarClass",
            data: { id: lock.id, target: lock.target, written, className: name, field, suggestion: `${name}.${field}`, file },
          });
        }
      }
    }

    const listeners: TSESLint.RuleListener = { ClassDeclaration: checkClass, ClassExpression: checkClass };

    const moduleTargets = moduleTargetsOf(policy);
    if (moduleTargets.length > 0 && !policy.file.startsWith("<") && context.filename && !context.filename.startsWith("<")) {
      const here = normalizeModulePath(relative(dirname(policy.file), context.filename));
      const mine = moduleTargets.filter((lock) => lock.parsedTarget.kind === "module" && lock.parsedTarget.modulePath === here);
      if (mine.length > 0) {
        listeners["Program:exit"] = (program: TSESTree.Program) => {
          const variables: string[] = [];
          for (const statement of program.body) {
            const declaration =
              statement.type === AST_NODE_TYPES.ExportNamedDeclaration && statement.declaration ? statement.declaration : statement;
            if (declaration.type !== AST_NODE_TYPES.VariableDeclaration) continue;
            for (const declarator of declaration.declarations) if (declarator.id.type === AST_NODE_TYPES.Identifier) variables.push(declarator.id.name);
          }
          for (const lock of mine) {
            const name = lock.parsedTarget.kind === "module" ? lock.parsedTarget.exportName : "";
            if (variables.includes(name)) continue;
            const suggestion = didYouMean(closestNames(name, variables).map((variable) => `${here}#${variable}`));
            context.report({ loc: { line: 1, column: 0 }, messageId: "noSuchVariable", data: { id: lock.id, target: lock.target, name, suggestion, file } });
          }
        };
      }
    }

    // Typed linting: a class declared elsewhere is checked where this file first uses it.
    const services = context.sourceCode.parserServices;
    const checker = services?.program?.getTypeChecker();
    const toTsNode = services?.esTreeNodeToTSNodeMap;
    if (checker && toTsNode && byClass.size > 0) {
      const checked = new Set<string>();
      listeners.Identifier = (node: TSESTree.Identifier) => {
        if (!byClass.has(node.name) || checked.has(node.name)) return;
        try {
          const tsNode = toTsNode.get(node);
          let symbol = checker.getSymbolAtLocation(tsNode);
          if (symbol && symbol.flags & ALIAS_FLAG) symbol = checker.getAliasedSymbol(symbol);
          if (!symbol || !(symbol.flags & CLASS_FLAG) || symbol.getName() !== node.name) return;
          // A class of this file is checked at its declaration instead.
          if (symbol.declarations?.some((declaration) => declaration.getSourceFile() === tsNode.getSourceFile())) return;
          checked.add(node.name);
          reportFields(node, node.name, checkerFieldsOf(symbol));
        } catch {
          // The checker can fail on broken programs: nothing is proven, so nothing is reported.
        }
      };
    }
    return listeners;
  },
});
