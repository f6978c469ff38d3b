/**
 * The devices of a run, numbered alike wherever a part of the run is computed: the gateway's adapter first
 * (id 0), then each resident's tag and phone, resident by resident.
 */
import { Phone, PHONE_CALIBRATIONS } from "./phones";
import type { AirDevice, Radio } from "./radio";
import type { Random } from "./random";
import type { Resident, World } from "./world";

/** Every device of a run, by id and by who carries it. */
export interface CarriedDevices<Tag extends AirDevice> {
  devices: AirDevice[];
  byResident: AirDevice[][];
  tags: Tag[];
  phones: Phone[];
}

/** The run's devices: `gateway`, then per resident their tag (made by `makeTag`) and their phone app. */
export function carriedDevices<Tag extends AirDevice>(
  world: World,
  radio: Radio,
  root: Random,
  gateway: AirDevice,
  makeTag: (id: number, resident: Resident) => Tag
): CarriedDevices<Tag> {
  const deviceRandom = root.fork("devices");
  const devices: AirDevice[] = [gateway];
  const byResident: AirDevice[][] = world.residents.map(() => []);
  const tags: Tag[] = [];
  const phones: Phone[] = [];
  const [startMs, endMs] = [world.start * 1000, world.end * 1000];
  for (const resident of world.residents) {
    if (resident.devices.tag) {
      const tag = makeTag(devices.length, resident);
      devices.push(tag);
      tags.push(tag);
      byResident[resident.index]!.push(tag);
    }
    if (resident.devices.phone) {
      const calibration = deviceRandom.pick(PHONE_CALIBRATIONS);
      const phone = new Phone(devices.length, resident.index, resident.devices.phone, calibration, radio, root.fork(`phone${resident.index}`), startMs, endMs);
      devices.push(phone);
      phones.push(phone);
      byResident[resident.index]!.push(phone);
    }
  }
  return { devices, byResident, tags, phones };
}
