# stage.cmake - ncc-report's own build steps, included by the stage loop of the top-level
# CMakeLists.txt after add_executable(${stage}) (dir: this directory). The stylesheet
# (report.css) and the queries (sql/*.sql) become the string macros of a generated
# report_assets.h (REPORT_CSS, REPORT_SQL_<NAME>), regenerated when any of them changes.
set(report_assets "REPORT_CSS=report.css")
file(GLOB report_sql CONFIGURE_DEPENDS ${dir}/sql/*.sql)
foreach(f ${report_sql})
  get_filename_component(n ${f} NAME_WE)
  string(TOUPPER "${n}" n_upper)
  list(APPEND report_assets "REPORT_SQL_${n_upper}=sql/${n}.sql")
endforeach()
string(REPLACE ";" "," report_assets "${report_assets}")
set(report_gen_dir ${CMAKE_BINARY_DIR}/generated/ncc-report)
add_custom_command(OUTPUT ${report_gen_dir}/report_assets.h
  COMMAND ${CMAKE_COMMAND} -DROOT=${dir} -DASSETS=${report_assets}
          -DOUT=${report_gen_dir}/report_assets.h -P ${dir}/embed.cmake
  DEPENDS ${dir}/report.css ${report_sql} ${dir}/embed.cmake ${dir}/stage.cmake
  COMMENT "embedding the stylesheet and queries of ncc-report"
  VERBATIM)
target_sources(${stage} PRIVATE ${report_gen_dir}/report_assets.h)
target_include_directories(${stage} PRIVATE ${report_gen_dir})
