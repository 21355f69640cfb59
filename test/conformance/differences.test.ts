import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { projectRoot } from '../harness/daemons.ts';
import { DIFFERENCES } from './differences.ts';

it('docs/differences.md documents every deliberate difference the cases may declare', () => {
	const doc = readFileSync(join(projectRoot, 'docs', 'differences.md'), 'utf8');
	for (const id of Object.keys(DIFFERENCES)) assert.match(doc, new RegExp(`\\|\\s*\`${id}\`\\s*\\|`), id);
});
