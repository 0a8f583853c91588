import should from 'should';
import { parseTopicFilter } from '../../../nodes/lib/mqtt/topic-filter';
import { compileTopicTemplate } from '../../../nodes/lib/mqtt/topic-template';

describe('MQTT topic filters', () => {
  it('matches + and # as MQTT does, and keeps $-topics out of leading wildcards', () => {
    const f = parseTopicFilter('iot/+/#');
    should(f.matches('iot/sensors/temperature/TEMP_001')).be.true();
    should(f.matches('iot/sensors')).be.true();
    should(f.matches('other/sensors/x')).be.false();
    should(parseTopicFilter('#').matches('$SYS/broker/uptime')).be.false();
    should(parseTopicFilter('+/x').matches('$SYS/x')).be.false();
  });

  it('subscribes to a shared subscription as given and matches on its filter', () => {
    const f = parseTopicFilter('$share/ingest/iot/sensors/#');
    should(f.subscription).equal('$share/ingest/iot/sensors/#');
    should(f.group).equal('ingest');
    should(f.matches('iot/sensors/door/DOOR_001')).be.true();
  });

  it('refuses filters a broker would refuse, with the reason', () => {
    should(() => parseTopicFilter('')).throw(/required/);
    should(() => parseTopicFilter('iot/#/x')).throw(/"#" must be a whole level and the last one/);
    should(() => parseTopicFilter('iot/sens+')).throw(/"\+" must be a whole level/);
    should(() => parseTopicFilter('$share/g+/x')).throw(/share group/);
    should(() => parseTopicFilter('$share/g')).throw(/no filter after the group/);
  });
});

describe('MQTT topic templates', () => {
  it('reads keys from the levels a template names, and nothing from a topic of another shape', () => {
    const keys = compileTopicTemplate('iot/sensors/{device_type}/{device_id}')!;
    should(keys('iot/sensors/temperature/TEMP_001')).eql({ device_type: 'temperature', device_id: 'TEMP_001' });
    should(keys('iot/sensors/temperature')).equal(undefined);
    should(keys('plant/sensors/temperature/TEMP_001')).equal(undefined);
  });

  it('is off when empty and refuses a template that names a key twice or a partial level', () => {
    should(compileTopicTemplate('')).equal(undefined);
    should(() => compileTopicTemplate('a/{id}/{id}')).throw(/appears twice/);
    should(() => compileTopicTemplate('a/x{id}')).throw(/whole level/);
  });
});
