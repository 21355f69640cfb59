#!/usr/bin/env node
/**
 * xenstore-stream: read, check, compare and convert xenstore migration streams (the state a
 * xenstore daemon hands to its successor on live update or with a migrating guest) and
 * oxenstored's text dumps. The input format is detected from the file itself.
 */
import { runTool } from '../migration/tool/main.ts';
import { unsupportedNode } from './runtime.ts';

const tooOld = unsupportedNode(process.versions.node);
if (tooOld !== undefined) {
	process.stderr.write(`xenstore-stream: ${tooOld}\n`);
	process.exitCode = 1;
} else {
	process.exitCode = await runTool(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
