package dev.tarmac.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tarmac.api.Serialization;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Collects figures, prints them as one table, and writes the same as JSON with the machine and the git revision. */
final class Report {

  private final List<Figure> figures = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final java.util.Map<String, Object> parameters = new java.util.LinkedHashMap<>();

  void add(Figure f) {
    figures.add(f);
    System.out.printf("  %-22s %-44s %12s %-8s %s%n", f.scenario(), f.name(), Figure.trim(round(f.value())),
        f.unit(), f.goal() == null ? "" : f.goal() + (f.met() ? "  ok" : "  MISSED"));
  }

  /** A setting of the run (a seed, a count), written with the figures. */
  void parameter(String name, Object value) {
    parameters.put(name, value);
  }

  void note(String note) {
    notes.add(note);
    System.out.println("  note: " + note);
  }

  private static double round(double v) {
    return Math.abs(v) >= 100 ? Math.rint(v) : Math.rint(v * 1000) / 1000;
  }

  void print() {
    System.out.println();
    System.out.printf("%-22s %-44s %12s %-8s %s%n", "SCENARIO", "FIGURE", "VALUE", "UNIT", "GOAL");
    for (Figure f : figures) {
      System.out.printf("%-22s %-44s %12s %-8s %s%n", f.scenario(), f.name(), Figure.trim(round(f.value())),
          f.unit(), f.goal() == null ? "" : f.goal() + (f.met() ? "  ok" : "  MISSED"));
    }
    notes.forEach(n -> System.out.println("note: " + n));
  }

  /**
   * Writes {@code <folder>/<prefix>-<time>-<revision>.json} ({@code prefix}: full, quick, chaos) and returns it.
   */
  Path write(Path folder, String prefix, String revision) throws IOException {
    ObjectNode root = Serialization.JSON.createObjectNode();
    root.put("time", Instant.now().toString());
    root.put("revision", revision);
    root.put("quick", prefix.endsWith("quick"));
    root.put("partial", prefix.startsWith("partial"));
    root.set("parameters", Serialization.JSON.valueToTree(parameters));
    ObjectNode machine = root.putObject("machine");
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    machine.put("memoryMiB", os.getTotalMemorySize() / (1024 * 1024));
    machine.put("java", System.getProperty("java.version"));
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    ArrayNode list = root.putArray("figures");
    figures.forEach(f -> list.add(Serialization.JSON.valueToTree(f)));
    ArrayNode n = root.putArray("notes");
    notes.forEach(n::add);
    Files.createDirectories(folder);
    Path file = folder.resolve(prefix + "-" + Instant.now().toString().replace(':', '-')
        .substring(0, 19) + "-" + revision + ".json");
    Serialization.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    return file;
  }
}
