import { describeZeroLoss } from './zero-loss';

describeZeroLoss(1);
