import { AST_NODE_TYPES, type TSESTree } from "@typescript-eslint/utils";

export type FunctionNode = TSESTree.FunctionDeclaration | TSESTree.FunctionExpression | TSESTree.ArrowFunctionExpression;

export interface FunctionName {
  /** The name as written; private members keep their `#`. */
  name: string;
  /** Where to report about the name (the identifier, or the method/field key). */
  nameNode: TSESTree.Node;
  /** The node that carries the JSDoc comment (declaration, method, field or variable statement). */
  docNode: TSESTree.Node;
}

function keyName(key: TSESTree.Node, computed: boolean): string | undefined {
  if (computed) return undefined;
  if (key.type === AST_NODE_TYPES.Identifier) return key.name;
  if (key.type === AST_NODE_TYPES.PrivateIdentifier) return `#${key.name}`;
  if (key.type === AST_NODE_TYPES.Literal && typeof key.value === "string") return key.value;
  return undefined;
}

/**
 * The name a function is known by: function declarations, methods (static, getters, setters),
 * class fields, object-literal methods and properties, and variables whose value is a function.
 * Anonymous callbacks have none: what they take belongs to the enclosing named function.
 */
export function functionNameOf(fn: FunctionNode): FunctionName | undefined {
  if (fn.type === AST_NODE_TYPES.FunctionDeclaration) {
    if (!fn.id) return undefined;
    const docNode = fn.parent.type === AST_NODE_TYPES.ExportNamedDeclaration || fn.parent.type === AST_NODE_TYPES.ExportDefaultDeclaration ? fn.parent : fn;
    return { name: fn.id.name, nameNode: fn.id, docNode };
  }
  const parent = fn.parent;
  switch (parent.type) {
    case AST_NODE_TYPES.VariableDeclarator: {
      if (parent.init !== fn || parent.id.type !== AST_NODE_TYPES.Identifier) return undefined;
      const declaration = parent.parent;
      const statement = declaration.parent?.type === AST_NODE_TYPES.ExportNamedDeclaration ? declaration.parent : declaration;
      return { name: parent.id.name, nameNode: parent.id, docNode: statement };
    }
    case AST_NODE_TYPES.MethodDefinition:
    case AST_NODE_TYPES.PropertyDefinition: {
      if (parent.value !== fn) return undefined;
      if (parent.type === AST_NODE_TYPES.MethodDefinition && parent.kind === "constructor") return undefined;
      const name = keyName(parent.key, parent.computed);
      return name === undefined ? undefined : { name, nameNode: parent.key, docNode: parent };
    }
    case AST_NODE_TYPES.Property: {
      if (parent.value !== fn) return undefined;
      const name = keyName(parent.key, parent.computed);
      return name === undefined ? undefined : { name, nameNode: parent.key, docNode: parent };
    }
    default:
      return undefined;
  }
}
