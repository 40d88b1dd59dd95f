import { readFileSync } from "node:fs";
import { RuleTester } from "@typescript-eslint/rule-tester";
import type { TSESLint } from "@typescript-eslint/utils";
import { afterAll, describe, it } from "vitest";
import rule from "../../rules/doc.js";

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const policy = JSON.parse(readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8"));

const ruleTester = new RuleTester({
  settings: { "lock-discipline": { policy, lockOrder: "/virtual/lock-order.json" } },
});

// @typescript-eslint/rule-tester 8.72 carries its own @typescript-eslint/utils 8.72, whose RuleModule
// type differs only nominally from the 8.73 one the rules are built with; at runtime they are the same.
const testable = <M extends string>(module: TSESLint.RuleModule<M, []>) => module as unknown as Parameters<typeof ruleTester.run<M, []>>[1];

ruleTester.run("doc", testable(rule), {
  valid: [
    // A name that is all suffix in form is a plain name: no tags are wanted.
    "export function _sm(): number { return 1; }",
    // No suffix, no tags.
    "function getUserId() {}",
    "function get_user_id() {}",
    `/**
      * Inserts a service rumor.
      * @acquires rs:w
      * @acquires ml:w
      */
     function insertService_rsw_mlw() {}`,
    // Mutex and keyed tokens are the bare id.
    `/** @acquires sm @acquires wl */
     function touch_sm_wl() {}`,
    // A tag may carry a description after the id.
    `/**
      * @acquires rs:r the rumor list, to copy it
      */
     function snapshot_rsr() {}`,
    // The tags follow declared order even when the suffix is misordered (that is suffix's report).
    `/**
      * @acquires rs:w
      * @acquires ml:w
      */
     function insert_mlw_rsw() {}`,
    // Methods, private methods, class fields and exported arrows carry their JSDoc on the member/statement.
    `class RumorStore {
       /** @acquires rs:w */
       insert_rsw() {}
       /** @acquires rs:r */
       #peek_rsr() {}
       /** @acquires rs:r */
       static count_rsr = () => 0;
       /** @acquires rs:r */
       get size_rsr() { return 0; }
     }`,
    `/** @acquires ms:r */
     export const listServices_msr = async () => [];`,
    `export default {
       /** @acquires gs:w */
       update_gsw() {},
     };`,
    // Anonymous callbacks have no name.
    "[1].map(function () {}); [2].forEach(() => {});",
    // Overloads: the JSDoc of the first signature documents the implementation too.
    `/** @acquires rs:r */
     export function find_rsr(id: string): string;
     export function find_rsr(id: number): string;
     export function find_rsr(id: string | number): string { return String(id); }`,
    `class RumorStore {
       /** @acquires rs:w */
       put_rsw(a: string): void;
       put_rsw(a: number): void;
       put_rsw(a: unknown) {}
     }`,
    // A non-JSDoc comment in between does not hide the JSDoc.
    `/** @acquires sm */
     // keep this call short
     function lockMember_sm() {}`,
  ],
  invalid: [
    {
      code: "function insertService_rsw_mlw() {}",
      errors: [
        {
          messageId: "missingDoc",
          line: 1,
          column: 10,
          endColumn: 31,
          data: { name: "insertService_rsw_mlw", expected: "@acquires rs:w, @acquires ml:w" },
          suggestions: [
            {
              messageId: "writeTags",
              output: "/**\n * @acquires rs:w\n * @acquires ml:w\n */\nfunction insertService_rsw_mlw() {}",
            },
          ],
        },
      ],
    },
    {
      // Indented method: the new JSDoc takes the member's indentation.
      code: "class Server {\n  lockMember_sm() {}\n}",
      errors: [
        {
          messageId: "missingDoc",
          line: 2,
          column: 3,
          suggestions: [{ messageId: "writeTags", output: "class Server {\n  /**\n   * @acquires sm\n   */\n  lockMember_sm() {}\n}" }],
        },
      ],
    },
    {
      // Not alone on its line: a one-line JSDoc goes right before it.
      code: "let x = 1; const heat_rh = () => x;",
      errors: [
        {
          messageId: "missingDoc",
          line: 1,
          column: 18,
          suggestions: [{ messageId: "writeTags", output: "let x = 1; /** @acquires rh */ const heat_rh = () => x;" }],
        },
      ],
    },
    {
      // The report covers the name, not its type annotation.
      code: "const count_rsr: () => number = () => 0;",
      errors: [
        {
          messageId: "missingDoc",
          line: 1,
          column: 7,
          endColumn: 16,
          suggestions: [{ messageId: "writeTags", output: "/**\n * @acquires rs:r\n */\nconst count_rsr: () => number = () => 0;" }],
        },
      ],
    },
    {
      // Exported: the JSDoc goes before `export`.
      code: "export function members_mlr() {}",
      errors: [
        {
          messageId: "missingDoc",
          line: 1,
          column: 17,
          suggestions: [{ messageId: "writeTags", output: "/**\n * @acquires ml:r\n */\nexport function members_mlr() {}" }],
        },
      ],
    },
    {
      // A JSDoc without tags: the tags go after the text, which is kept.
      code: "/**\n * Inserts a rumor.\n *\n * @param rumor what to insert\n */\nfunction insert_rsw(rumor: string) {}",
      errors: [
        {
          messageId: "wrongTags",
          line: 6,
          column: 10,
          data: { name: "insert_rsw", expected: "@acquires rs:w", written: "no @acquires tags" },
          suggestions: [
            {
              messageId: "writeTags",
              output: "/**\n * Inserts a rumor.\n *\n * @param rumor what to insert\n * @acquires rs:w\n */\nfunction insert_rsw(rumor: string) {}",
            },
          ],
        },
      ],
    },
    {
      // Wrong mode and a missing tag: the old tags are replaced where they stood.
      code: "/**\n * Inserts.\n * @acquires rs:r\n * @returns nothing\n */\nfunction insert_rsw_mlw() {}",
      errors: [
        {
          messageId: "wrongTags",
          line: 6,
          column: 10,
          data: { name: "insert_rsw_mlw", expected: "@acquires rs:w, @acquires ml:w", written: "@acquires rs:r" },
          suggestions: [
            {
              messageId: "writeTags",
              output: "/**\n * Inserts.\n * @acquires rs:w\n * @acquires ml:w\n * @returns nothing\n */\nfunction insert_rsw_mlw() {}",
            },
          ],
        },
      ],
    },
    {
      // Tags out of declared order.
      code: "/**\n * @acquires ml:w\n * @acquires rs:w\n */\nfunction insert_rsw_mlw() {}",
      errors: [
        {
          messageId: "wrongTags",
          line: 5,
          column: 10,
          data: { name: "insert_rsw_mlw", expected: "@acquires rs:w, @acquires ml:w", written: "@acquires ml:w, @acquires rs:w" },
          suggestions: [{ messageId: "writeTags", output: "/**\n * @acquires rs:w\n * @acquires ml:w\n */\nfunction insert_rsw_mlw() {}" }],
        },
      ],
    },
    {
      // A one-line JSDoc becomes a block; its text stays.
      code: "class Heat {\n  /** Bumps the heat. */\n  bump_rh() {}\n}",
      errors: [
        {
          messageId: "wrongTags",
          line: 3,
          column: 3,
          suggestions: [{ messageId: "writeTags", output: "class Heat {\n  /**\n   * Bumps the heat.\n   * @acquires rh\n   */\n  bump_rh() {}\n}" }],
        },
      ],
    },
    {
      // A tag written twice is wrong too.
      code: "/** @acquires sm @acquires sm */\nfunction lock_sm() {}",
      errors: [
        {
          messageId: "wrongTags",
          line: 2,
          column: 10,
          suggestions: [{ messageId: "writeTags", output: "/**\n * @acquires sm\n */\nfunction lock_sm() {}" }],
        },
      ],
    },
    {
      // Renamed away from its suffix: the stale tags go, the rest of the JSDoc stays.
      code: "/**\n * Counts rumors.\n * @acquires rs:r\n */\nfunction countRumors() {}",
      errors: [
        {
          messageId: "staleTags",
          line: 5,
          column: 10,
          data: { name: "countRumors", written: "@acquires rs:r" },
          suggestions: [{ messageId: "writeTags", output: "/**\n * Counts rumors.\n */\nfunction countRumors() {}" }],
        },
      ],
    },
    {
      // A JSDoc that held only the stale tag is removed.
      code: "class A {\n  /** @acquires rs:r */\n  count() {}\n}",
      errors: [
        {
          messageId: "staleTags",
          line: 3,
          column: 3,
          suggestions: [{ messageId: "writeTags", output: "class A {\n  count() {}\n}" }],
        },
      ],
    },
    {
      // Object-literal methods and class fields report at the key.
      code: "const api = {\n  read_gsr: () => 1,\n};\nclass B {\n  static field_sbl = function () {};\n}",
      errors: [
        { messageId: "missingDoc", line: 2, column: 3, suggestions: [{ messageId: "writeTags", output: "const api = {\n  /**\n   * @acquires gs:r\n   */\n  read_gsr: () => 1,\n};\nclass B {\n  static field_sbl = function () {};\n}" }] },
        { messageId: "missingDoc", line: 5, column: 10, suggestions: [{ messageId: "writeTags", output: "const api = {\n  read_gsr: () => 1,\n};\nclass B {\n  /**\n   * @acquires sbl\n   */\n  static field_sbl = function () {};\n}" }] },
      ],
    },
    {
      // Overloads without a JSDoc: it goes before the first signature.
      code: "function find_rsr(id: string): string;\nfunction find_rsr(id: unknown) { return String(id); }",
      errors: [
        {
          messageId: "missingDoc",
          line: 2,
          column: 10,
          suggestions: [
            {
              messageId: "writeTags",
              output: "/**\n * @acquires rs:r\n */\nfunction find_rsr(id: string): string;\nfunction find_rsr(id: unknown) { return String(id); }",
            },
          ],
        },
      ],
    },
    {
      // CRLF files get CRLF lines.
      code: "/**\r\n * Bumps.\r\n */\r\nfunction bump_rh() {}\r\nfunction heat_rh() {}\r\n",
      errors: [
        {
          messageId: "wrongTags",
          line: 4,
          suggestions: [{ messageId: "writeTags", output: "/**\r\n * Bumps.\r\n * @acquires rh\r\n */\r\nfunction bump_rh() {}\r\nfunction heat_rh() {}\r\n" }],
        },
        {
          messageId: "missingDoc",
          line: 5,
          suggestions: [{ messageId: "writeTags", output: "/**\r\n * Bumps.\r\n */\r\nfunction bump_rh() {}\r\n/**\r\n * @acquires rh\r\n */\r\nfunction heat_rh() {}\r\n" }],
        },
      ],
    },
    {
      // Decorated method: the JSDoc goes before the decorator.
      code: "class C {\n  @traced\n  bump_rh() {}\n}",
      errors: [
        {
          messageId: "missingDoc",
          line: 3,
          column: 3,
          suggestions: [{ messageId: "writeTags", output: "class C {\n  /**\n   * @acquires rh\n   */\n  @traced\n  bump_rh() {}\n}" }],
        },
      ],
    },
  ],
});

// Without settings and without a lock-order.json above the file, there is no policy: the rule stays silent.
new RuleTester().run("doc without a policy", testable(rule), {
  valid: [{ code: "function insert_rsw() {}", filename: "/no-lock-order-here/file.ts" }],
  invalid: [],
});
