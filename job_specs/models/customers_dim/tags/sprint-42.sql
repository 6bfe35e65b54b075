-- sprint-42: adds the e-mail domain and the signup month for cohort analysis.
SELECT
    c.CUSTOMER_ID,
    c.NAME,
    UPPER(c.COUNTRY) AS COUNTRY,
    SPLIT_PART(c.EMAIL, '@', 2) AS EMAIL_DOMAIN,
    DATE_TRUNC('month', c.SIGNED_UP_AT) AS SIGNUP_MONTH
FROM DATALAKE_DEV.RAW.CUSTOMERS AS c
