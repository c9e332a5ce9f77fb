package dev.tarmac.component;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tarmac.api.Serialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImportTemplateTest {

  @Test
  void mapsABackstageTemplateAndReportsWhatItCannot() throws Exception {
    var backstage = Serialization.YAML.readTree("""
        apiVersion: scaffolder.backstage.io/v1beta3
        kind: Template
        metadata: {name: react-ssr, title: React SSR, description: A React app}
        spec:
          owner: web-team
          type: website
          parameters:
            - {title: App, required: [name], properties: {name: {type: string}}}
          steps:
            - {id: fetch, action: fetch:template, input: {url: ./skeleton, values: {name: "${{ parameters.name }}"}}}
            - {id: publish, action: publish:github, input: {repoUrl: "github.com?owner=o&repo=r"}}
            - {id: register, action: catalog:register, input: {repoContentsUrl: x}}
            - {id: notify, action: slack:send}
          output:
            links: [{title: Repo, url: "${{ steps['publish'].output.remoteUrl }}"}]
        """);
    List<String> report = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    var out = ImportTemplateCommand.convert(backstage, null, report, notes);
    assertThat(out.path("spec").path("title").asText()).isEqualTo("React SSR");
    assertThat(out.path("spec").path("steps").get(1).path("action").asText()).isEqualTo("publish:git");
    // repoUrl is kept: its repo names the repository on the embedded Git server.
    assertThat(out.path("spec").path("steps").get(1).path("input").path("repoUrl").asText())
        .isEqualTo("github.com?owner=o&repo=r");
    assertThat(report).hasSize(2).anyMatch(r -> r.contains("step fetch") && r.contains("./skeleton"))
        .anyMatch(r -> r.contains("step notify") && r.contains("slack:send"));
    assertThat(notes).singleElement().asString().contains("step publish: publish:github became publish:git");
    assertThat(out.path("spec").has("skeleton")).isFalse();
    var git = Serialization.JSON.createObjectNode().put("url", "https://git.example/s.git").put("ref", "main")
        .put("path", "templates/react-ssr");
    List<String> report2 = new ArrayList<>();
    var stored = ImportTemplateCommand.convert(backstage, git, report2, new ArrayList<>());
    assertThat(stored.path("spec").path("skeleton").path("git")).isEqualTo(git);
    assertThat(stored.path("spec").path("steps").get(0).path("input").path("url").asText()).isEqualTo("./skeleton");
    assertThat(report2).singleElement().asString().contains("slack:send");
    assertThat(ImportTemplateCommand.folders(backstage)).containsExactly("skeleton");
  }
}
