import type { FastifyInstance } from "fastify";
import type { SkillContent, SkillDirs } from "../../contract/api.js";
import type { SkillStore } from "../../skills/skills.js";

/** Skills (docs/skills.md): a skill's content for `load_skill`, and where skills are looked up. */
export function skillRoutes(app: FastifyInstance, deps: { skills: SkillStore }): void {
  // 400 for a name that could leave the store (`..`, `/`), 404 for an unknown skill, 400 naming the file and field
  // for a SKILL.md that does not load.
  app.get<{ Params: { name: string } }>("/skills/:name", async (request): Promise<SkillContent> => {
    const skill = deps.skills.load(request.params.name);
    return { name: skill.name, content: skill.content };
  });
  app.get("/settings/skill-dirs", async (): Promise<SkillDirs> => ({
    skills_dir: deps.skills.storeDir,
    python_skills_dir: deps.skills.pythonStoreDir,
    extra_dirs: deps.skills.extraDirs(),
  }));
}
