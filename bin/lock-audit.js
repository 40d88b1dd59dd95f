#!/usr/bin/env node
import "../dist/analyzer/cli.js";
