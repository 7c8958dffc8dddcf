// The public package entry: what pipeline files import from "weir".
export { pipeline, isPipeline } from "./define/pipeline.js";
export { SkipTask, FailWithoutRetry } from "./define/task-errors.js";
export type { Pipeline, PipelineBuilder, PipelineOptions, ParamsOf, SubPipelineOptions, SubPipelineResult } from "./define/pipeline.js";
export type {
  TaskRef,
  OutputOf,
  Needs,
  Inputs,
  DataInterval,
  TaskLogger,
  TaskContext,
  EmptyParams,
  RetryOptions,
  CacheOptions,
  CommonTaskOptions,
  TaskOptions,
  MappedTaskOptions,
  MultiMappedTaskOptions,
  MapSources,
  MapItem,
  ElementOf,
  BranchChoice,
  MaybeInputs,
  InputsFor,
  ShellOptions,
  Schedule,
  EventBatch,
  TaskDefaults,
} from "./define/types.js";
export type { EventOf } from "./define/pipeline.js";
export type { Duration } from "./define/duration.js";
export type { TriggerRule } from "./define/trigger-rule-names.js";
export { TRIGGER_RULES } from "./define/trigger-rule-names.js";
export { RUN_STATES, TASK_STATES } from "./engine/states.js";
export type { RunState, TaskState } from "./engine/states.js";
export type { SensorCheck, SensorOptions, SensorProbe, SensorValue } from "./define/sensor.js";
export { fileSensor, httpSensor, timeDeltaSensor, timeOfDaySensor, externalTaskSensor, sqlSensor } from "./operators/sensors/index.js";
export type { FileSensorOptions, FileSensorResult, HttpSensorOptions, HttpSensorResult, ExternalTaskSensorOptions, SqlSensorOptions } from "./operators/sensors/index.js";
export { defineConfig } from "./config/define-config.js";
export type { WeirConfig, NotifierInput, EmailNotifierInput } from "./config/define-config.js";
