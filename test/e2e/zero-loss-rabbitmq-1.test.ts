import { describeZeroLoss } from './zero-loss';

describeZeroLoss(0, 'rabbitmq');
