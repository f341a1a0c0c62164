import { describe, expect, it } from "vitest";
import {
  affectedServices,
  compareVersions,
  dependencyOrder,
  isAhead,
  nextVersion,
  releaseNotes,
  ServiceGraphError,
  versionName,
} from "../../src/core/release.js";

const svc = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });
// declared out of order on purpose
const SERVICES = [svc("frontend", "backend"), svc("backend", "db-migration"), svc("db-migration"), svc("docs")];

describe("version names", () => {
  it("versionName", () => {
    expect(versionName("2026-11-21", 1)).toBe("2026.11.21-1");
    expect(() => versionName("2026-11-21", 0)).toThrow(RangeError);
    expect(() => versionName("21/11/2026", 1)).toThrow(RangeError);
  });

  it("nextVersion takes the highest sequence of that date + 1", () => {
    expect(nextVersion("2026-11-21", [])).toBe("2026.11.21-1");
    expect(nextVersion("2026-11-21", ["2026.11.21-1", "2026.11.21-10", "2026.11.21-2", "2026.11.22-40", "1.2.3"])).toBe(
      "2026.11.21-11",
    );
  });
});

describe("compareVersions / isAhead", () => {
  it("orders our scheme", () => {
    expect(compareVersions("2026.11.21-2", "2026.11.21-10")).toBe(-1);
    expect(compareVersions("2026.11.22-1", "2026.11.21-9")).toBe(1);
    expect(compareVersions("2026.11.21-1", "2026.11.21-1")).toBe(0);
  });

  it("orders dotted numerics, with an optional v", () => {
    expect(compareVersions("1.2.10", "1.2.9")).toBe(1);
    expect(compareVersions("v1.2.9", "1.2.10")).toBe(-1);
    expect(compareVersions("V2.0", "2.0.0")).toBe(0);
    expect(isAhead("1.10", "1.9")).toBe(true);
    expect(isAhead("1.9", "1.9")).toBe(false);
  });

  it("falls back to localeCompare", () => {
    expect(compareVersions("abc", "abd")).toBe(-1);
    expect(compareVersions("rc-2", "rc-10")).toBe(-1);
    expect(compareVersions("main", "main")).toBe(0);
  });
});

describe("dependencyOrder", () => {
  it("puts dependencies first: db-migration → backend → frontend, ties by declaration", () => {
    expect(dependencyOrder(SERVICES)).toEqual(["db-migration", "backend", "frontend", "docs"]);
    expect(dependencyOrder([svc("a"), svc("b"), svc("c")])).toEqual(["a", "b", "c"]);
    expect(dependencyOrder([])).toEqual([]);
  });

  it("names a cycle", () => {
    const err = (() => {
      try {
        dependencyOrder([svc("db"), svc("api", "db", "web"), svc("web", "api")]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ServiceGraphError);
    expect(err).toMatchObject({ kind: "cycle", services: ["api", "web", "api"] });
    expect((err as Error).message).toContain("api → web → api");
    expect(() => dependencyOrder([svc("a", "a")])).toThrow(/a → a/);
  });

  it("names an unknown dependency and a duplicate", () => {
    expect(() => dependencyOrder([svc("backend", "db-migration")])).toThrow(
      'service "backend" depends on unknown service "db-migration"',
    );
    expect(() => dependencyOrder([svc("a"), svc("a")])).toThrow(ServiceGraphError);
  });
});

describe("affectedServices", () => {
  it("unions the bugs' services in dependency order", () => {
    expect(affectedServices(SERVICES, [["frontend"], ["db-migration", "frontend"]])).toEqual([
      "db-migration",
      "frontend",
    ]);
    expect(affectedServices(SERVICES, [["backend"], ["frontend"]])).toEqual(["backend", "frontend"]);
  });

  it("a bug without services means all services", () => {
    expect(affectedServices(SERVICES, [["frontend"], []])).toEqual(["db-migration", "backend", "frontend", "docs"]);
  });

  it("a system without services deploys once, without a service", () => {
    expect(affectedServices([], [["backend"]])).toEqual([]);
    expect(affectedServices(SERVICES, [])).toEqual([]);
  });

  it("keeps undeclared names after the declared ones", () => {
    expect(affectedServices(SERVICES, [["mobile", "backend"]])).toEqual(["backend", "mobile"]);
  });
});

describe("releaseNotes", () => {
  it("one line per service per bug; [all] for a bug without services", () => {
    expect(
      releaseNotes([
        { id: 12, title: "null pointer in task update handler", services: ["backend"] },
        { id: 13, title: "error boundary\nnot catching <API> timeout", services: ["backend", "frontend"] },
        { id: 14, title: "typo", services: [] },
      ]),
    ).toEqual([
      "[backend] Fix: null pointer in task update handler (#12)",
      "[backend] Fix: error boundary not catching <API> timeout (#13)",
      "[frontend] Fix: error boundary not catching <API> timeout (#13)",
      "[all] Fix: typo (#14)",
    ]);
  });
});
