import type { ComponentChildren } from "preact";

/** A label tied to its control by id, so the control's accessible name is the label alone (not the options of a select). */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  wide?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class={props.wide ? "field wide" : "field"}>
      <label for={props.id}>
        {props.label}
        {props.hint && <span class="hint"> ({props.hint})</span>}
      </label>
      {props.children}
    </div>
  );
}
