import { privateBrokerHost } from '../../lib/config/broker-reach';

describe('a broker a Lambda outside any VPC could not reach', () => {
  test.each([
    ['redis://localhost:6379/0', null],
    ['redis://127.0.0.1:6379/0', null],
    ['redis://[::1]:6379/0', null],
    ['rediss://default:pw@eu1-fine-cat-33333.upstash.io:6379', null],
    ['redis://redis.example.com:6379/0', null],
    ['redis://203.0.113.9:6379/0', null],
    ['redis://172.32.0.1:6379/0', null],
    ['rediss://master.prod.abc123.use1.cache.amazonaws.com:6379', /ElastiCache endpoint/],
    ['rediss://prod-abc123.serverless.use1.cache.amazonaws.com:6379', /ElastiCache endpoint/],
    ['rediss://clustercfg.prod.abc123.memorydb.us-east-1.amazonaws.com:6379', /MemoryDB endpoint/],
    ['redis://10.0.3.7:6379/0', /10\.0\.0\.0\/8/],
    ['redis://172.20.1.1:6379/0', /172\.16\.0\.0\/12/],
    ['redis://192.168.1.10:6379/0', /192\.168\.0\.0\/16/],
    ['redis://100.64.0.5:6379/0', /100\.64\.0\.0\/10/],
    ['redis://[fd00::5]:6379/0', /fc00::\/7/],
    ['redis://redis.prod.internal:6379/0', /private name/],
    ['redis://ip-10-0-0-1.ec2.internal:6379/0', /private name/],
    ['redis://redis:6379/0', /single-label/],
  ])('%s', (url, why) => {
    const got = privateBrokerHost(url);
    if (why === null) expect(got).toBeNull();
    else expect(got).toMatch(why);
  });
});
