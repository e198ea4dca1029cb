export { ModelDouble, SIDE_ANSWER, type ModelDoubleOptions, type RecordedRequest } from "./server.js";
export {
  DEFAULT_ANSWER_PREFIX,
  defaultAnswer,
  parseScript,
  type Rule,
  type Script,
  type Step,
  type Usage,
} from "./script.js";
