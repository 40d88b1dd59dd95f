// Typed RuleTester cases lint their code as this file (the default filename under test/rules/typed),
// so the project service finds test/rules/typed/tsconfig.json. The content on disk is never linted.
export {};
