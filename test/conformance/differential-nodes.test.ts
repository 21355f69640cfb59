import cases from './cases/nodes.ts';
import { defineDifferentialSuite } from './differential.ts';

defineDifferentialSuite('differential: nodes', cases);
