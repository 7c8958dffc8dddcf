// Built-in sensors for `p.sensor` (docs/sensors.md).
export { fileSensor, type FileSensorOptions, type FileSensorResult } from "./file.js";
export { httpSensor, type HttpSensorOptions, type HttpSensorResult } from "./http.js";
export { timeDeltaSensor, timeOfDaySensor } from "./time.js";
export { externalTaskSensor, sqlSensor, type ExternalTaskSensorOptions, type SqlSensorOptions } from "./store-probes.js";
