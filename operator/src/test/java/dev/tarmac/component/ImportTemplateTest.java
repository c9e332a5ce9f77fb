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
    var out = ImportTemplateCommand.convert(backstage, report);
    assertThat(out.path("spec").path("title").asText()).isEqualTo("React SSR");
    assertThat(out.path("spec").path("steps").get(1).path("action").asText()).isEqualTo("publish:git");
    assertThat(out.path("spec").path("steps").get(1).path("input").path("repoUrl").asText())
        .isEqualTo("tarmac.local?repo=${{ parameters.name }}");
    assertThat(report).hasSize(3).anyMatch(r -> r.contains("./skeleton")).anyMatch(r -> r.contains("slack:send"))
        .anyMatch(r -> r.contains("publish:github"));
  }
}
