#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so a checkout needs no build step.
require('tsx/cjs');
require('../cli/main.ts').main(process.argv);
