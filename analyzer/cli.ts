/** The `lock-audit` executable (bin/lock-audit.js imports the built copy of this module). */
import { runCli } from "./command.js";

process.exitCode = await runCli(process.argv.slice(2));
