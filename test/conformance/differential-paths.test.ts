import cases from './cases/paths.ts';
import { defineDifferentialSuite } from './differential.ts';

defineDifferentialSuite('differential: paths', cases);
