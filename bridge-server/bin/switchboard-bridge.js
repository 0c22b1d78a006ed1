#!/usr/bin/env node
// The `switchboard-bridge` command. It lives outside dist/ so that npm links it when the
// dependencies are installed, before the first build; the command itself is dist/cli.js.
import '../dist/cli.js';
