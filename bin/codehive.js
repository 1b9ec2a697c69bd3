#!/usr/bin/env node
// Entry point for `codehive`; the real work lives in the compiled TypeScript (npm install builds it).
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2));
